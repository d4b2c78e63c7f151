import { number, text } from '@formkit/inputs';
import { createInput, defaultConfig } from '@formkit/vue';
import { customRules } from '../generated/formkit-rules';
import ChildrenInput from './ChildrenInput.vue';
import DateInput from './DateInput.vue';
import EnumInput from './EnumInput.vue';
import JobHandlerInput from './JobHandlerInput.vue';
import JsonInput from './JsonInput.vue';
import RelationInput from './RelationInput.vue';

/** Inputs the served FormKit schemas name beyond FormKit's own (see the generator's form emitter). */
const formKitInputs = {
  relation: createInput(RelationInput, { props: ['entity', 'path', 'display', 'multiple'] }),
  children: createInput(ChildrenInput, { props: ['entity', 'columns'] }),
  json: createInput(JsonInput),
  // Widget `job-handler`: the handlers the server has registered for scheduled jobs. FormKit looks
  // a hyphenated type up camel-cased, as for `datetime-local`.
  jobHandler: createInput(JobHandlerInput),
  'job-handler': createInput(JobHandlerInput),
  scan: text,
  'input-number': number,
  // FormKit's own select and date inputs, replaced by Element Plus ones (the shell's component library).
  select: createInput(EnumInput, { props: ['options', 'placeholder'] }),
  date: createInput(DateInput),
  datetimeLocal: createInput(DateInput),
  'datetime-local': createInput(DateInput),
};

/**
 * FormKit's configuration, with the rules the generated forms name beyond FormKit's built-ins (emitted
 * by `mes generate`). The screens holding forms provide it (`FormKitProvider`), so FormKit loads with
 * them rather than with the app.
 */
export const formKitConfig = defaultConfig({ inputs: formKitInputs, rules: customRules });
