// npm run settings-table: prints the README's settings table, generated from the settings schema
// (components/settings-doc.ts). Paste it over the table under "## Settings"; a test holds them equal.
import { settingsTable } from "../components/settings-doc.js";

console.log(settingsTable());
