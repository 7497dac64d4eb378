/** `npm run register`: registers the Discord commands (see src/bots/discord/register.ts). */
import { registerCommands } from '../src/bots/discord/register.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/index.ts';

try {
  const config = loadConfig();
  if (!config.discord) throw new ConfigError('Set DISCORD_TOKEN and DISCORD_APPLICATION_ID in .env first.');
  const engine = await createEngine(config.engine);
  const styles = engine.styles();
  await engine.close();
  const { scope, count } = await registerCommands(config.discord, styles);
  process.stdout.write(`Registered ${count} commands (${scope}).\n`);
} catch (error) {
  process.stderr.write(`register: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
