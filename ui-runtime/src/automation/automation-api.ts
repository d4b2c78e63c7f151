/** The caller's notifications and task inbox (`/api/me`). */
import type {
  AssignedTask,
  MarkedRead,
  NotificationView as NotificationRow,
  TaskInbox,
  UnreadCount,
} from '../../../platform/src/contracts/automation';
import { api } from '../api/http';

export type { AssignedTask, NotificationRow, TaskInbox };

export const unreadCount = () => api<UnreadCount>('GET', '/api/me/notifications/count');
export const notifications = () => api<NotificationRow[]>('GET', '/api/me/notifications');
export const markAllRead = () => api<MarkedRead>('POST', '/api/me/notifications/read', {});
export const tasks = () => api<TaskInbox>('GET', '/api/me/tasks');
