import { createI18n } from 'vue-i18n';
import type { I18nText } from './api/meta';

const messages = {
  'zh-CN': {
    app: { title: 'BTC MES', logout: '退出', dark: '深色', language: '语言', menu: '菜单' },
    login: { title: '登录', username: '用户名', password: '密码', submit: '登录', failed: '登录失败' },
    list: {
      search: '快速搜索',
      filter: '筛选',
      reset: '重置',
      create: '新建',
      columns: '列',
      exportCsv: '导出 CSV',
      exportXlsx: '导出 XLSX',
      selected: '已选 {n} 项',
      deleteSelected: '删除所选',
      next: '下一页',
      first: '首页',
      from: '开始',
      to: '结束',
      exporting: '正在导出… {kb} KB',
      deleting: '正在删除',
    },
    form: {
      save: '保存',
      cancel: '取消',
      saved: '已保存',
      conflict: '该记录已被他人修改（当前版本 {v}）。',
      reload: '重新加载',
      unsaved: '有未保存的修改，确定离开？',
      invalid: '请修正标出的字段',
    },
    detail: {
      edit: '编辑',
      actions: '操作',
      history: '历史',
      reason: '原因',
      password: '密码（电子签名）',
      confirm: '确定',
      noHistory: '暂无历史',
    },
    trace: {
      title: '追溯',
      serial: '序列号',
      lot: '批次 ID',
      reverse: '反向追溯',
      forward: '正向追溯',
      search: '查询',
      empty: '未找到',
    },
    approval: {
      vote: '待我审批',
      decision: '表决',
      approve: '批准',
      reject: '驳回',
      comment: '意见',
      pending: '已提交：{a}/{n} 项批准',
      rejected: '已驳回',
    },
    bulk: {
      actions: '批量操作',
      appliesTo: '将应用于 {n} 条记录',
      done: '完成 {ok} 条',
      failed: '{n} 条失败：{first}',
      noneDeleted: '未删除任何记录。',
    },
    views: {
      title: '视图',
      save: '保存视图',
      name: '视图名称',
      delete: '删除视图',
      saved: '视图已保存',
      default: '默认打开',
      stored: '视图按用户保存在服务器上',
    },
    shop: {
      title: '车间模式',
      scan: '扫描或输入工单号 / 批次号 / 序列号',
      open: '打开',
      notFound: '未找到：{code}',
      choose: '该编码对应多条记录，请选择',
      report: '报工',
      reported: '已报工',
      noOperations: '暂无工序',
      exit: '退出车间模式',
      details: '详情',
    },
    menu: { trace: '追溯浏览', shopFloor: '车间模式' },
    import: {
      title: '导入',
      file: '文件',
      rows: '共 {n} 行',
      row: '行',
      field: '字段',
      message: '错误',
      run: '导入',
      done: '已导入：新建 {c}，更新 {u}',
      checking: '正在检查文件…',
      importing: '正在导入 {n} 行…',
      clean: '检查通过，可以导入',
    },
  },
  en: {
    app: { title: 'BTC MES', logout: 'Sign out', dark: 'Dark', language: 'Language', menu: 'Menu' },
    login: {
      title: 'Sign in',
      username: 'Username',
      password: 'Password',
      submit: 'Sign in',
      failed: 'Sign-in failed',
    },
    list: {
      search: 'Quick search',
      filter: 'Filter',
      reset: 'Reset',
      create: 'New',
      columns: 'Columns',
      exportCsv: 'Export CSV',
      exportXlsx: 'Export XLSX',
      selected: '{n} selected',
      deleteSelected: 'Delete selected',
      next: 'Next page',
      first: 'First page',
      from: 'From',
      to: 'To',
      exporting: 'Exporting… {kb} KB',
      deleting: 'Deleting',
    },
    form: {
      save: 'Save',
      cancel: 'Cancel',
      saved: 'Saved',
      conflict: 'Someone else changed this record (now version {v}).',
      reload: 'Reload',
      unsaved: 'You have unsaved changes. Leave anyway?',
      invalid: 'Please correct the marked fields',
    },
    detail: {
      edit: 'Edit',
      actions: 'Actions',
      history: 'History',
      reason: 'Reason',
      password: 'Password (e-signature)',
      confirm: 'Confirm',
      noHistory: 'No history yet',
    },
    trace: {
      title: 'Trace',
      serial: 'Serial number',
      lot: 'Lot id',
      reverse: 'Reverse',
      forward: 'Forward',
      search: 'Search',
      empty: 'Nothing found',
    },
    approval: {
      vote: 'your approval',
      decision: 'Decision',
      approve: 'Approve',
      reject: 'Reject',
      comment: 'Comment',
      pending: 'Submitted: {a} of {n} approvals',
      rejected: 'Rejected',
    },
    bulk: {
      actions: 'Bulk actions',
      appliesTo: 'Applies to {n} records',
      done: '{ok} done',
      failed: '{n} failed: {first}',
      noneDeleted: 'Nothing was deleted.',
    },
    views: {
      title: 'Views',
      save: 'Save view',
      name: 'View name',
      delete: 'Delete view',
      saved: 'View saved',
      default: 'Open by default',
      stored: 'Views are stored per user on the server',
    },
    shop: {
      title: 'Shop floor',
      scan: 'Scan or type a work order, lot or serial number',
      open: 'Open',
      notFound: 'Not found: {code}',
      choose: 'This code matches several records; choose one',
      report: 'Report',
      reported: 'Reported',
      noOperations: 'No operations yet',
      exit: 'Leave shop floor',
      details: 'Details',
    },
    menu: { trace: 'Trace explorer', shopFloor: 'Shop floor' },
    import: {
      title: 'Import',
      file: 'File',
      rows: '{n} rows',
      row: 'Row',
      field: 'Field',
      message: 'Error',
      run: 'Import',
      done: 'Imported: {c} created, {u} updated',
      checking: 'Checking the file…',
      importing: 'Importing {n} rows…',
      clean: 'No errors found; ready to import',
    },
  },
};

export type Locale = keyof typeof messages;

export const i18n = createI18n({
  legacy: false,
  locale:
    (localStorage.getItem('mes.locale') as Locale | null) ??
    (navigator.language.startsWith('zh') ? 'zh-CN' : 'en'),
  fallbackLocale: 'en',
  messages,
});

/** Metadata text in the current language: `{en, zh}` objects pick `zh` for zh-CN, else `en`. */
export function text(value: I18nText | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  const locale = i18n.global.locale.value;
  return (locale === 'zh-CN' ? value.zh : value.en) ?? value.en ?? Object.values(value)[0] ?? '';
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem('mes.locale', locale);
  document.documentElement.lang = locale;
}
