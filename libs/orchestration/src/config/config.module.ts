import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  Environment,
  environmentSchema,
  SwitchyardConfig,
  toSwitchyardConfig,
  validateEnvironment,
} from './switchyard-config';

/** Injection token of the typed {@link SwitchyardConfig}. */
export const SWITCHYARD_CONFIG = Symbol('SWITCHYARD_CONFIG');

/**
 * Reads `process.env` once (through @nestjs/config), validates it, and provides the typed config.
 * A bad value stops the app at start with a message naming the variable.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forRoot({
      ignoreEnvFile: true,
      cache: true,
      validate: validateEnvironment,
    }),
  ],
  providers: [
    {
      provide: SWITCHYARD_CONFIG,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>): SwitchyardConfig => {
        const env = Object.fromEntries(
          Object.keys(environmentSchema.shape).map((key) => [key, config.get(key as keyof Environment)]),
        ) as Environment;
        return toSwitchyardConfig(env);
      },
    },
  ],
  exports: [SWITCHYARD_CONFIG],
})
export class SwitchyardConfigModule {}
