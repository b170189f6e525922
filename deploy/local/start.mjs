#!/usr/bin/env node
// `npm start`: the whole platform on the embedded default, in the foreground.
// Ctrl-C or SIGTERM stops everything it started and keeps the data for the next start.
import { build } from './build.mjs';

const t0 = Date.now();
const seconds = () => ((Date.now() - t0) / 1000).toFixed(1);

async function main() {
  await build();
  const { startInfra } = await import('./infra/index.mjs');
  const { startPlatform, treeMemoryMiB } = await import('./platform.mjs');
  const { ports } = await import('./infra/paths.mjs');
  const infra = await startInfra({ databases: ['certhub'], handleSignals: false });
  let platform;
  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n[platform] ${signal}: stopping services and infrastructure (data is kept)…\n`);
    await platform?.stop();
    await infra.stop();
    process.exit(0);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => void shutdown(s));
  try {
    platform = await startPlatform({ infra });
  } catch (err) {
    process.stderr.write(`[platform] start failed: ${err.message}\n`);
    await infra.stop();
    process.exit(1);
  }
  const healthyAfter = seconds();
  const { secrets, seeded, gatewayUrl } = platform;
  const line = '─'.repeat(72);
  const out = [
    line,
    ' certhub is up (embedded default)',
    line,
    ` Gateway            ${gatewayUrl}/api/v1`,
    ` Health             ${gatewayUrl}/api/v1/health`,
    ` OpenAPI UI         ${gatewayUrl}/api/docs   (JSON: ${gatewayUrl}/api/docs-json)`,
    ` Temporal UI        ${infra.temporal.uiUrl}`,
    ` Temporal gRPC      ${infra.temporal.address}`,
    ` Kafka              ${infra.kafka.brokers.join(',')}`,
    ` PostgreSQL         127.0.0.1:${ports.postgres} (database certhub; credentials in .data/secrets)`,
    '',
    ' Demo credentials',
    `   admin            ${secrets.adminPassword}${secrets.adminPasswordGenerated ? '   (generated; set CERTHUB_ADMIN_PASSWORD to choose)' : '   (from CERTHUB_ADMIN_PASSWORD)'}`,
    ...seeded.filter((a) => a.username !== 'admin').map((a) => `   ${a.username.padEnd(16)} ${secrets.demoPassword}   (${a.role})`),
    '',
    ' Sandbox: SMS codes at /api/v1/sandbox/sms?phone=…, captcha answers at /api/v1/sandbox/captchas/{id}',
    ` Healthy after      ${healthyAfter} s`,
    line,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  // Idle memory once the start-up work has settled.
  setTimeout(() => {
    process.stdout.write(`[platform] idle memory of the whole platform: ${treeMemoryMiB()} MiB (goal ≤ 3072 MiB)\n`);
  }, 15_000).unref();
  // Stay in the foreground.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => {
  process.stderr.write(`[platform] ${err.stack ?? err}\n`);
  process.exit(1);
});
