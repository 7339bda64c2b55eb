import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export class ProblemDto extends createZodDto(
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    })
    .meta({
      description: 'An error, as application/problem+json',
      examples: [
        {
          type: 'https://switchyard.dev/problems/validation-failed',
          title: 'Validation failed',
          status: 400,
          detail: 'plan.tasks[1].dependsOn[0]: task "draft" depends on unknown task "ghost"',
          errors: [{ path: 'plan.tasks[1].dependsOn[0]', message: 'task "draft" depends on unknown task "ghost"' }],
        },
      ],
    }),
) {}
