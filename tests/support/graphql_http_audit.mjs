// Runs the GraphQL-over-HTTP audit suite of `graphql-http` (serverAudits) against a server.
//
//   node graphql_http_audit.mjs <node_modules folder> <url>
//
// Prints one JSON array on stdout: {id, name, status, reason?, response?} per audit, where
// `response` (failures only) has the status, content type and body the server gave.
// The package is loaded from the folder given, so it need not sit next to this script.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [modules, url] = process.argv.slice(2);
if (!modules || !url) {
  console.error('usage: node graphql_http_audit.mjs <node_modules folder> <url>');
  process.exit(2);
}

const entry = join(modules, 'graphql-http', 'lib', 'index.mjs');
const { serverAudits } = await import(pathToFileURL(entry).href);

async function describe(response) {
  if (!response) return undefined;
  let body;
  try {
    body = await response.clone().text();
  } catch (error) {
    body = `(body already read: ${error.message})`;
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: body.slice(0, 500),
  };
}

const results = [];
// One after the other: the output stays in a stable order and the server sees one request at a time.
for (const audit of serverAudits({ url })) {
  let result;
  try {
    result = await audit.fn();
  } catch (error) {
    // An audit throws only when it cannot run at all (connection refused, ...).
    result = { id: audit.id, name: audit.name, status: 'error', reason: `audit crashed: ${error}` };
  }
  const { response, ...rest } = result;
  results.push(response ? { ...rest, response: await describe(response) } : rest);
}
process.stdout.write(JSON.stringify(results) + '\n');
