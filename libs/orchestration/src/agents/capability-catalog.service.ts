import { Inject, Injectable } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { registryKeys } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { inOneWrite } from '../adapters/ioredis';
import { BUILTIN_CAPABILITIES, BUILTIN_CAPABILITY_NAMES, Capability } from './capability-catalog';
import { PermissionPolicy } from './permission-policy';

/** A capability added at run time: what a worker or a client says about it. */
export interface CustomCapability {
  readonly name: string;
  readonly description: string;
  /** @defaultValue 'custom' */
  readonly category?: string;
  /** @defaultValue false */
  readonly privileged?: boolean;
}

/**
 * The capabilities plans may ask for and agents may offer: the built-in ones and custom ones
 * added at run time, kept in Redis so every API and worker process sees them. Reads that must
 * answer at once (plan validation) use the copy cached here; a plan that names a capability the
 * cache lacks makes the caller {@link refresh} and validate again.
 */
@Injectable()
export class CapabilityCatalog {
  private custom = new Map<string, Capability>();
  private cachedPolicy?: PermissionPolicy;

  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** The cached catalog: built-in capabilities first, then custom ones by name. */
  list(): readonly Capability[] {
    return [...BUILTIN_CAPABILITIES, ...[...this.custom.values()].sort((a, b) => a.name.localeCompare(b.name))];
  }

  names(): ReadonlySet<string> {
    return this.custom.size === 0 ? BUILTIN_CAPABILITY_NAMES : new Set([...BUILTIN_CAPABILITY_NAMES, ...this.custom.keys()]);
  }

  get(name: string): Capability | undefined {
    return BUILTIN_CAPABILITIES.find((c) => c.name === name) ?? this.custom.get(name);
  }

  /** Reads the custom capabilities from Redis again. */
  async refresh(): Promise<void> {
    const stored = await this.redis.client.hgetall(registryKeys.capabilities(this.config.prefix));
    const custom = new Map<string, Capability>();
    for (const [name, raw] of Object.entries(stored)) {
      const value = JSON.parse(raw) as Omit<Capability, 'name'>;
      custom.set(name, { name, category: value.category, description: value.description, privileged: value.privileged === true, custom: true });
    }
    this.custom = custom;
    this.cachedPolicy = undefined;
  }

  /** Adds custom capabilities (a name already in the catalog keeps what it had). */
  async add(capabilities: readonly CustomCapability[]): Promise<void> {
    const fresh = capabilities.filter((c) => !BUILTIN_CAPABILITY_NAMES.has(c.name));
    if (fresh.length > 0) {
      const client = this.redis.client;
      const key = registryKeys.capabilities(this.config.prefix);
      await Promise.all(
        inOneWrite(client, () =>
          fresh.map((c) =>
            client.hsetnx(key, c.name, JSON.stringify({ category: c.category ?? 'custom', description: c.description, privileged: c.privileged === true })),
          ),
        ),
      );
    }
    await this.refresh();
  }

  /** The permission rules of this deployment, from the cached catalog and the guest allow-list. */
  policy(): PermissionPolicy {
    this.cachedPolicy ??= {
      privileged: new Set(
        this.list()
          .filter((c) => c.privileged)
          .map((c) => c.name),
      ),
      guestCapabilities: new Set(this.config.guestCapabilities),
    };
    return this.cachedPolicy;
  }
}
