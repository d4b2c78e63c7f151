/**
 * Acceptance scenario 14 as a Metadata Studio change set: the analyst's "Engineering Problem"
 * (EP-YYYYMMDD-NNN, title, severity, owner, due date, description, attachments), its form with two
 * sections, its list with filters, its OPEN → IN_ANALYSIS → RESOLVED → CLOSED workflow with roles,
 * a menu entry, and the operator's and inspector's grants.
 */
export const ENGINEERING_PROBLEM = {
  entity: 'engineering_problem',
  label: { en: 'Engineering problem', zh: '工程问题' },
  pluralLabel: { en: 'Engineering problems', zh: '工程问题' },
  module: 'quality',
  database: 'core',
  display: 'title',
  businessKey: 'ep_no',
  identifier: { field: 'ep_no', pattern: 'EP-{YYYYMMDD}-{seq:3}' },
  fields: {
    ep_no: {
      type: 'string',
      length: 32,
      unique: true,
      readonly: true,
      label: { en: 'Problem no.', zh: '问题编号' },
    },
    title: { type: 'string', length: 200, required: true, label: { en: 'Title', zh: '标题' } },
    severity: {
      type: 'enum',
      values: [
        { value: 'LOW', label: { en: 'Low', zh: '低' } },
        { value: 'MEDIUM', label: { en: 'Medium', zh: '中' } },
        { value: 'HIGH', label: { en: 'High', zh: '高' } },
        { value: 'CRITICAL', label: { en: 'Critical', zh: '严重' } },
      ],
      default: 'MEDIUM',
      required: true,
      label: { en: 'Severity', zh: '严重度' },
    },
    owner: { type: 'relation', to: 'user', label: { en: 'Owner', zh: '负责人' } },
    due_date: { type: 'date', label: { en: 'Due date', zh: '到期日' } },
    description: { type: 'text', maxLength: 4000, label: { en: 'Description', zh: '描述' } },
    attachments: { type: 'file', multiple: true, label: { en: 'Attachments', zh: '附件' } },
    status: {
      type: 'enum',
      values: ['OPEN', 'IN_ANALYSIS', 'RESOLVED', 'CLOSED'],
      default: 'OPEN',
      label: { en: 'Status', zh: '状态' },
    },
  },
  list: {
    columns: ['ep_no', 'title', 'severity', 'owner', 'due_date', 'status'],
    defaultSort: '-ep_no',
    filters: ['severity', 'status', 'due_date'],
    search: ['ep_no', 'title'],
  },
  form: 'engineering_problem',
  workflow: 'engineering_problem_lifecycle',
};

export const ENGINEERING_PROBLEM_FORM = {
  form: 'engineering_problem',
  entity: 'engineering_problem',
  label: { en: 'Engineering problem', zh: '工程问题' },
  sections: [
    {
      title: { en: 'Problem', zh: '问题' },
      columns: 2,
      fields: ['ep_no', 'title', 'severity', 'description'],
    },
    {
      title: { en: 'Ownership', zh: '责任' },
      columns: 2,
      fields: ['owner', 'due_date', 'attachments', 'status'],
    },
  ],
};

export const ENGINEERING_PROBLEM_WORKFLOW = {
  workflow: 'engineering_problem_lifecycle',
  entity: 'engineering_problem',
  field: 'status',
  version: 1,
  label: { en: 'Engineering problem lifecycle', zh: '工程问题流程' },
  initial: 'OPEN',
  states: {
    OPEN: { label: { en: 'Open', zh: '待处理' } },
    IN_ANALYSIS: { label: { en: 'In analysis', zh: '分析中' } },
    RESOLVED: { label: { en: 'Resolved', zh: '已解决' } },
    CLOSED: { label: { en: 'Closed', zh: '已关闭' }, final: true },
  },
  transitions: [
    {
      action: 'analyse',
      label: { en: 'Start analysis', zh: '开始分析' },
      from: ['OPEN'],
      to: 'IN_ANALYSIS',
      roles: ['quality_inspector', 'operator'],
      requiredFields: ['owner'],
    },
    {
      action: 'resolve',
      label: { en: 'Resolve', zh: '解决' },
      from: ['IN_ANALYSIS'],
      to: 'RESOLVED',
      roles: ['quality_inspector'],
    },
    {
      action: 'close',
      label: { en: 'Close', zh: '关闭' },
      from: ['RESOLVED'],
      to: 'CLOSED',
      roles: ['quality_inspector'],
    },
  ],
};

export const ENGINEERING_MENU = {
  menu: 'engineering',
  label: { en: 'Engineering', zh: '工程' },
  module: 'quality',
  order: 45,
  items: [
    {
      id: 'engineering_problems',
      label: { en: 'Engineering problems', zh: '工程问题' },
      order: 10,
      entity: 'engineering_problem',
    },
  ],
};

/** The whole change set content of the scenario. */
export function engineeringProblemContent(): Record<string, unknown> {
  return {
    documents: [
      ENGINEERING_PROBLEM,
      ENGINEERING_PROBLEM_FORM,
      ENGINEERING_PROBLEM_WORKFLOW,
      ENGINEERING_MENU,
    ],
    grants: {
      operator: ['engineering_problem:read', 'engineering_problem:create', 'engineering_problem:analyse'],
      quality_inspector: ['engineering_problem:*'],
      business_analyst: ['engineering_problem:read'],
    },
  };
}
