#!/usr/bin/env node
// The smallest Hypergolix app: connect to the local daemon, keep a JSON object, read it back.
//
//   node hello.mjs [--port 7772] [--token-file <home>/ipc-token]
//
// Without options the SDK finds the daemon's key the way Hypergolix finds its config
// ($HYPERGOLIX_HOME, the current directory, ~/.hypergolix, …). Prints one JSON line.
import { parseArgs } from 'node:util';
import { HGXLink, JsonObj } from '@hypergolix/hgx';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'token-file': { type: 'string' } } });
let link;
try {
  link = await HGXLink.connect({
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['token-file'] ? { tokenFile: values['token-file'] } : {}),
  });
} catch (err) {
  // NotConnected (no daemon answered), AuthFailed (no key, or the wrong one), IncompatibleDaemon,
  // or an HgxError naming a bad option (such as a --port that is not a number): each says what to do.
  console.error(`hello: ${err.message}`);
  process.exit(1);
}
try {
  const greeting = await link.new(JsonObj, { hello: 'world', at: new Date().toISOString() });
  const again = await link.get(JsonObj, greeting.ghid);
  console.log(JSON.stringify({ whoami: link.whoami, ghid: greeting.ghid, state: again.state, daemonProtocol: link.daemonProtocol }));
} finally {
  await link.close();
}
