import 'reflect-metadata';
import { ConfigurationError, loadConfiguration } from './config/configuration.js';
import { startServer } from './bootstrap.js';

try {
  const config = loadConfiguration();
  await startServer(config);
} catch (error) {
  if (error instanceof ConfigurationError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
