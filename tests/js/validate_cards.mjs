// Parses Adaptive Cards with Microsoft's Adaptive Cards JavaScript library (npm "adaptivecards")
// and prints a JSON report on stdout. Used by tests/test_card_validation.py.
//
//   node tests/js/validate_cards.mjs cards.json
//
// cards.json is a list of {"name": ..., "card": {...}}. For each card the report gives
//   version            the card version the library read
//   parseEvents        what card.parse() logged into the SerializationContext (target 1.5):
//                      unknown element or action types, properties newer than 1.5, bad values
//   validationEvents   what card.validateProperties() found (for example too many actions,
//                      duplicate ids, a required input without a label or an error message)
//   unknownProperties  properties that the library's 1.5 object model does not define at all:
//                      the parser drops them without a word, so a typo ("isSubtel") would
//                      otherwise pass
// Parsing and validation need no DOM: nothing here renders.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// The package's "main" (lib/) is ES modules with extensionless imports, which Node cannot load;
// dist/ holds the UMD bundle of the same code (the carousel's swiper is bundled into it).
const AC = require("adaptivecards/dist/adaptivecards.js");
const LIBRARY_VERSION = require("adaptivecards/package.json").version;

const TARGET = AC.Versions.v1_5; // Teams renders 1.5 at most
// Teams' host config (as in Microsoft's Adaptive Cards designer): up to 6 card-level actions.
const HOST_CONFIG = new AC.HostConfig({ supportsInteractivity: true, actions: { maxActions: 6 } });

// Keeps stdout for the report: the library may log through console.
console.log = console.info = console.warn = console.debug = (...parts) => process.stderr.write(parts.join(" ") + "\n");

// Properties that the library parses outside its property schemas.
const STRUCTURAL = {
  AdaptiveCard: ["body", "actions", "msteams"], // msteams: Teams' own card extension (width, entities)
  Container: ["items"],
  Column: ["items", "width"],
  ColumnSet: ["columns"],
  ActionSet: ["actions"],
  "Action.ShowCard": ["card"],
  RichTextBlock: ["inlines"],
  Table: ["rows"],
  TableRow: ["cells"],
  TableCell: ["items"],
};
const EVERY_TYPED_OBJECT = ["fallback"];
const FREE_FORM = new Set(["data"]); // Action.Submit / Action.Execute data goes back to the bot as it is
// Objects without a "type" and the classes that define their properties.
const UNTYPED = {
  choices: AC.Choice,
  facts: AC.Fact,
  refresh: AC.RefreshDefinition,
  authentication: AC.Authentication,
  backgroundImage: AC.BackgroundImage,
};

function propertyNames(instance) {
  const schema = instance.getSchema();
  const names = new Set();
  for (let i = 0; i < schema.getCount(); i++) {
    names.add(schema.getItemAt(i).name);
  }
  return names;
}

function instanceOf(type, key) {
  if (type === "AdaptiveCard") return new AC.AdaptiveCard();
  if (key === "columns" && type === "Column") return new AC.Column();
  const registry = type.startsWith("Action.") ? AC.GlobalRegistry.actions : AC.GlobalRegistry.elements;
  return registry.createInstance(type, TARGET);
}

function unknownProperties(node, path, key, found) {
  if (Array.isArray(node)) {
    node.forEach((item, index) => unknownProperties(item, `${path}[${index}]`, key, found));
    return found;
  }
  if (node === null || typeof node !== "object") return found;
  let known;
  if (typeof node.type === "string") {
    const instance = instanceOf(node.type, key);
    if (instance === undefined) return found; // an unknown type: parse() reports it
    known = new Set([...propertyNames(instance), ...(STRUCTURAL[node.type] || []), ...EVERY_TYPED_OBJECT]);
  } else if (key === "columns" && !("type" in node)) {
    known = new Set([...propertyNames(new AC.Column()), ...STRUCTURAL.Column, ...EVERY_TYPED_OBJECT]);
  } else if (UNTYPED[key]) {
    known = propertyNames(new UNTYPED[key]());
  } else {
    return found; // e.g. msteams: not the library's to judge
  }
  for (const [name, value] of Object.entries(node)) {
    if (!known.has(name)) {
      const owner = node.type ?? (UNTYPED[key] ? UNTYPED[key].name : key);
      found.push({ path: `${path}.${name}`, type: owner, message: `"${name}" is not a property of ${owner} in Adaptive Cards ${TARGET}` });
    } else if (!FREE_FORM.has(name) && typeof value === "object" && value !== null) {
      unknownProperties(value, `${path}.${name}`, name, found);
    }
  }
  return found;
}

function describe(event) {
  const source = event.source;
  return {
    phase: AC.ValidationPhase[event.phase],
    event: AC.ValidationEvent[event.event],
    message: event.message,
    source: source && typeof source.getJsonTypeName === "function" ? source.getJsonTypeName() : undefined,
    id: source && source.id ? source.id : undefined,
  };
}

function validate({ name, card: json }) {
  const card = new AC.AdaptiveCard();
  card.hostConfig = HOST_CONFIG;
  const context = new AC.SerializationContext(TARGET);
  card.parse(json, context);
  const parseEvents = [];
  for (let i = 0; i < context.eventCount; i++) {
    parseEvents.push(describe(context.getEventAt(i)));
  }
  const validationEvents = card.validateProperties().validationEvents.map(describe);
  return {
    name,
    version: card.version ? card.version.toString() : null,
    parseEvents,
    validationEvents,
    unknownProperties: unknownProperties(json, "$", null, []),
  };
}

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node validate_cards.mjs cards.json\n");
  process.exit(2);
}
const cards = JSON.parse(readFileSync(file, "utf8"));
const report = {
  library: { name: "adaptivecards", version: LIBRARY_VERSION },
  targetVersion: TARGET.toString(),
  maxActions: HOST_CONFIG.actions.maxActions,
  cards: cards.map(validate),
};
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
