/** The caller's notifications and task inbox (`/api/me`). */
import type {
  AssignedTask,
  NotificationView as NotificationRow,
  TaskInbox,
} from '../../../platform/src/contracts/automation';
import { api } from '../api/http';

export type { AssignedTask, NotificationRow, TaskInbox };

export const unreadCount = () => api<{ unread: number }>('GET', '/api/me/notifications/count');
export const notifications = () => api<NotificationRow[]>('GET', '/api/me/notifications');
export const markAllRead = () =>
  api<{ marked: number; unread: number }>('POST', '/api/me/notifications/read', {});
export const tasks = () => api<TaskInbox>('GET', '/api/me/tasks');
