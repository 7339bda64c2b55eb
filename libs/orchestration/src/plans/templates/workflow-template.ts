import { z } from 'zod';
import { Plan } from '../plan.schema';

/** A named, parameterised plan: `build` turns validated params into a plan. */
export interface WorkflowTemplate<P extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly params: P;
  /** Params that make a good first run; shown in the template list and in Swagger. */
  readonly example: z.input<P>;
  build(params: z.output<P>): Plan;
}

export function defineTemplate<P extends z.ZodType>(template: WorkflowTemplate<P>): WorkflowTemplate<P> {
  return template;
}

/** A task id made from free text: lower case, letters, digits and "-", at most 40 characters. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'item'
  );
}
