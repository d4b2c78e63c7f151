import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

/**
 * Renders the handlebars templates of generators/templates/. Templates emit code, never HTML, so
 * nothing is escaped; values that must be literals go through the `json` helper.
 */
export class TemplateRenderer {
  private readonly handlebars = Handlebars.create();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  constructor(private readonly templateDir: string) {
    this.handlebars.registerHelper('json', (value: unknown) => JSON.stringify(value));
    this.handlebars.registerHelper('concat', (...parts: unknown[]) =>
      parts.slice(0, -1).map(String).join(''),
    );
  }

  /** `name` is a path under the template folder without `.hbs`, e.g. `nest/controller.ts`. */
  render(name: string, context: object): string {
    let template = this.compiled.get(name);
    if (!template) {
      const source = readFileSync(join(this.templateDir, `${name}.hbs`), 'utf8');
      template = this.handlebars.compile(source, { noEscape: true, strict: true });
      this.compiled.set(name, template);
    }
    return template(context);
  }
}
