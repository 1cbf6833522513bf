// Prints the page's reach hint for each input of a JSON list (argv[2]).
import { readFileSync } from "node:fs";
import { classifyReach } from "../static/js/reach.js";

const inputs = JSON.parse(readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify(inputs.map((text) => classifyReach(text))));
