/**
 * E-mail over SMTP through nodemailer, configured by `SMTP_URL` and `MAIL_FROM`. One place creates
 * the transport, for rule notifications and for the password links sent to users.
 */
import type { Transporter } from 'nodemailer';

export interface MailSettings {
  /** `smtp://user:pass@host:port`; unset = no e-mail channel. */
  url: string;
  from: string;
}

export function mailSettingsFromEnv(env: NodeJS.ProcessEnv): MailSettings | null {
  const url = env.SMTP_URL?.trim();
  return url ? { url, from: env.MAIL_FROM?.trim() || 'BTC MES <mes@localhost>' } : null;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends plain-text mail from the configured sender. */
export class Mailer {
  private readonly transport: Transporter;

  constructor(private readonly settings: MailSettings) {
    // nodemailer (about 13 MB resident) is loaded only where mail is configured.
    this.transport = (require('nodemailer') as typeof import('nodemailer')).createTransport(settings.url);
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.settings.from, ...message });
  }

  close(): void {
    this.transport.close();
  }
}
