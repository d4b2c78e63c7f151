/**
 * Sends a rule's notification to users: in the app (a row, pushed live to the user's open streams
 * once the transaction committed) and by e-mail over SMTP, in each user's language, on the channels
 * the user keeps on. Every delivery is logged; a failed e-mail fails the rule step, which retries.
 */
import type { Model } from '../../../metadata/src/model';
import type { I18nText } from '../../../metadata/src/types';
import { serializeRow } from '../crud/serializer';
import type { SqlExecutor } from '../data/database';
import { RowStore } from '../data/row-store';
import type { LiveChannel } from '../events/live-channel';
import { runtimeOf } from '../kernel/model-runtime';
import { Mailer, type MailSettings } from './mailer';
import { NotificationStore, type Channel } from './notification-store';

export { mailSettingsFromEnv, type MailSettings } from './mailer';

export interface NotifyRequest {
  tenantId: string;
  model: Model;
  userIds: readonly string[];
  rule: string | null;
  severity: string;
  title: I18nText;
  body?: I18nText;
  entity: string | null;
  recordId: number | null;
  channels: readonly Exclude<Channel, 'webhook'>[];
}

export interface NotifyResult {
  inApp: number;
  email: number;
}

interface Recipient {
  id: string;
  email: string | null;
  locale: 'en' | 'zh';
}

export class Notifier {
  readonly store = new NotificationStore();
  private readonly transport: Mailer | null;

  constructor(
    private readonly live: LiveChannel,
    mail: MailSettings | null,
    /** Logs a failed delivery outside the failing transaction, so the log keeps it. */
    private readonly log: SqlExecutor,
  ) {
    this.transport = mail ? new Mailer(mail) : null;
  }

  async send(tx: SqlExecutor, request: NotifyRequest): Promise<NotifyResult> {
    const result: NotifyResult = { inApp: 0, email: 0 };
    for (const recipient of await this.recipients(tx, request)) {
      const off = await this.store.disabledChannels(tx, request.tenantId, recipient.id);
      const title = request.title[recipient.locale];
      const body = request.body ? request.body[recipient.locale] : null;
      if (request.channels.includes('in_app') && !off.includes('in_app')) {
        const id = await this.store.insert(tx, {
          tenantId: request.tenantId,
          userId: recipient.id,
          rule: request.rule,
          severity: request.severity,
          title,
          body,
          entity: request.entity,
          recordId: request.recordId,
        });
        await this.store.logDelivery(tx, request.tenantId, {
          notificationId: id,
          rule: request.rule,
          channel: 'in_app',
          recipient: recipient.id,
          status: 'SENT',
          error: null,
        });
        const message = {
          id,
          title,
          body,
          severity: request.severity,
          entity: request.entity,
          recordId: request.recordId,
        };
        tx.afterCommit(() => {
          void this.live
            .publish(
              { tenantId: request.tenantId, kind: 'user', userId: recipient.id },
              { event: 'notification.created', data: message },
            )
            .catch(() => undefined);
        });
        result.inApp++;
      }
      if (request.channels.includes('email') && !off.includes('email') && recipient.email && this.transport) {
        try {
          await this.transport.send({
            to: recipient.email,
            subject: title,
            text: body ?? title,
          });
        } catch (error) {
          await this.store.logDelivery(this.log, request.tenantId, {
            notificationId: null,
            rule: request.rule,
            channel: 'email',
            recipient: recipient.email,
            status: 'FAILED',
            error: (error as Error).message,
          });
          throw error;
        }
        await this.store.logDelivery(tx, request.tenantId, {
          notificationId: null,
          rule: request.rule,
          channel: 'email',
          recipient: recipient.email,
          status: 'SENT',
          error: null,
        });
        result.email++;
      }
    }
    return result;
  }

  close(): void {
    this.transport?.close();
  }

  /** Active users among those named, with their e-mail (opened) and language. */
  private async recipients(tx: SqlExecutor, request: NotifyRequest): Promise<Recipient[]> {
    const user = request.model.entities.get('user');
    const ids = [...new Set(request.userIds)].map(Number).filter((id) => Number.isInteger(id) && id > 0);
    if (!user || ids.length === 0) return [];
    const rt = runtimeOf(request.model).entity('user');
    const rows = await new RowStore(request.tenantId).byIds(tx, user, ids, true);
    return rows
      .map((row) => serializeRow(rt, row, request.tenantId))
      .filter((record) => record.status === undefined || record.status === 'ACTIVE')
      .map((record) => ({
        id: String(record.id),
        email: typeof record.email === 'string' && record.email.includes('@') ? record.email : null,
        locale: record.locale === 'en' ? 'en' : 'zh',
      }));
  }
}
