#!/usr/bin/env node
// `npm run kafka:consume -- <topic> [more options]`: Kafka's own console consumer against the
// embedded broker, reading from the beginning with keys and headers shown.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureKafkaJars } from './infra/kafka.mjs';
import { ports } from './infra/paths.mjs';

const [topic, ...rest] = process.argv.slice(2);
if (!topic) {
  process.stderr.write('usage: npm run kafka:consume -- <topic> [console-consumer options]\n');
  process.exit(2);
}
const libs = await ensureKafkaJars();
const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const args = [
  '-cp',
  join(libs, '*'),
  'org.apache.kafka.tools.consumer.ConsoleConsumer',
  '--bootstrap-server',
  `127.0.0.1:${ports.kafka}`,
  '--topic',
  topic,
  '--from-beginning',
  '--property',
  'print.key=true',
  '--property',
  'print.headers=true',
  ...rest,
];
const child = spawn(java, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
