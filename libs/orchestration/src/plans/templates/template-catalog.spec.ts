import { BUILTIN_CAPABILITY_NAMES } from '../../agents/capability-catalog';
import { ValidationFailedError } from '../../errors/errors';
import { validatePlan } from '../plan-validator';
import { TemplateCatalog } from './template-catalog.service';

describe('TemplateCatalog', () => {
  const catalog = new TemplateCatalog();

  it('lists at least three templates with a params schema and an example', () => {
    const list = catalog.list();
    expect(list.map((t) => t.name)).toEqual(['research-report', 'implement-and-review', 'data-analysis']);
    for (const t of list) {
      expect(t.params).toMatchObject({ type: 'object' });
      expect(t.description.length).toBeGreaterThan(10);
    }
  });

  it('builds a valid plan from every template example', () => {
    for (const t of catalog.list()) {
      const plan = catalog.build(t.name, t.example);
      expect(validatePlan(plan, BUILTIN_CAPABILITY_NAMES).ok).toBe(true);
    }
  });

  it('nests report sections under the draft and fans datasets out and in', () => {
    const report = catalog.build('research-report', { topic: 'AOF', sections: ['Intro', 'Intro', 'Costs & risks'] });
    expect(report.tasks[1].children!.map((c) => c.id)).toEqual(['section-intro', 'section-intro-2', 'section-costs-risks']);
    const analysis = catalog.build('data-analysis', { question: 'why?', datasets: ['a.csv', 'b.csv', 'c.csv'] });
    expect(analysis.tasks.find((t) => t.id === 'analyse')!.dependsOn).toEqual(['examine-1', 'examine-2', 'examine-3']);
    expect(catalog.build('implement-and-review', { feature: 'x', withTests: false }).tasks.map((t) => t.id)).toEqual(['design', 'implement', 'review']);
  });

  it('names an unknown template and each bad parameter', () => {
    expect(() => catalog.build('nope', {})).toThrow('template.name: unknown template "nope"');
    try {
      catalog.build('data-analysis', { question: '', datasets: [], colour: 'red' });
      throw new Error('expected a ValidationFailedError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationFailedError);
      expect((error as ValidationFailedError).issues.map((i) => i.path).sort()).toEqual([
        'template.params',
        'template.params.datasets',
        'template.params.question',
      ]);
    }
  });
});
