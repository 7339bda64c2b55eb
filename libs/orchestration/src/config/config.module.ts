import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { environmentSchema, SwitchyardConfig, toSwitchyardConfig, validateEnvironment } from './switchyard-config';

/** Injection token of the typed {@link SwitchyardConfig}. */
export const SWITCHYARD_CONFIG = Symbol('SWITCHYARD_CONFIG');

/**
 * Reads `process.env` once (through @nestjs/config), validates it, and provides the typed config.
 * A bad value stops the app at start with a message naming the variable.
 */
@Global()
@Module({
  imports: [
    // Validation happens in the factory below, during bootstrap, so a bad value reaches the
    // app's startup error handler (forRoot's own `validate` would throw while modules load).
    ConfigModule.forRoot({ ignoreEnvFile: true, cache: true }),
  ],
  providers: [
    {
      provide: SWITCHYARD_CONFIG,
      inject: [ConfigService],
      useFactory: (config: ConfigService): SwitchyardConfig => {
        const raw = Object.fromEntries(Object.keys(environmentSchema.shape).map((key) => [key, config.get<string>(key)]));
        return toSwitchyardConfig(validateEnvironment(raw));
      },
    },
  ],
  exports: [SWITCHYARD_CONFIG],
})
export class SwitchyardConfigModule {}
