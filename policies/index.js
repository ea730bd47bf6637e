// Entry of the policy pack: registers the TypeScript loader, then starts the pack written in TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./pack.ts");
