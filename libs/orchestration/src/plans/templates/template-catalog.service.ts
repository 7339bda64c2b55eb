import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ValidationFailedError } from '../../errors/errors';
import { Plan } from '../plan.schema';
import { BUILTIN_TEMPLATES } from './builtin-templates';
import { WorkflowTemplate } from './workflow-template';

/** A template as `GET /templates` lists it. */
export interface TemplateSummary {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the template's params. */
  readonly params: Record<string, unknown>;
  readonly example: unknown;
}

/** The named workflow templates a session can start from. */
@Injectable()
export class TemplateCatalog {
  private readonly templates = new Map<string, WorkflowTemplate>(BUILTIN_TEMPLATES.map((t) => [t.name, t as WorkflowTemplate]));

  list(): TemplateSummary[] {
    return [...this.templates.values()].map((t) => ({
      name: t.name,
      description: t.description,
      params: z.toJSONSchema(t.params, { io: 'input' }) as Record<string, unknown>,
      example: t.example,
    }));
  }

  /** The plan a template makes from params; a bad name or bad params is a {@link ValidationFailedError}. */
  build(name: string, params: unknown): Plan {
    const template = this.templates.get(name);
    if (!template) {
      throw new ValidationFailedError(
        [{ path: 'template.name', message: `unknown template "${name}"; known: ${[...this.templates.keys()].join(', ')}` }],
        'The template is invalid',
      );
    }
    const parsed = template.params.safeParse(params ?? {});
    if (!parsed.success) {
      throw new ValidationFailedError(
        parsed.error.issues.map((issue) => ({
          path: ['template.params', ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '['),
          message: issue.message,
        })),
        'The template parameters are invalid',
      );
    }
    return template.build(parsed.data);
  }
}
