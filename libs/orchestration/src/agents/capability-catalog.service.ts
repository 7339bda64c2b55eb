import { Injectable } from '@nestjs/common';
import { BUILTIN_CAPABILITIES, BUILTIN_CAPABILITY_NAMES, Capability } from './capability-catalog';

/** The capabilities plans may ask for and agents may offer. */
@Injectable()
export class CapabilityCatalog {
  list(): readonly Capability[] {
    return BUILTIN_CAPABILITIES;
  }

  names(): ReadonlySet<string> {
    return BUILTIN_CAPABILITY_NAMES;
  }
}
