import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SandboxSms } from './sms-code.entity';

/** Sends text messages. Real gateways (carrier SMS platforms) implement the same interface. */
export abstract class SmsProvider {
  abstract send(message: { phone: string; text: string; purpose: string }): Promise<void>;
}

/** Keeps messages in a table instead of sending them; the sandbox endpoint lists them. */
export class SandboxSmsProvider extends SmsProvider {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async send(message: { phone: string; text: string; purpose: string }): Promise<void> {
    await this.dataSource.getRepository(SandboxSms).insert({ id: randomUUID(), ...message });
  }

  async sentTo(phone: string, limit = 20): Promise<Array<{ text: string; purpose: string; sentAt: Date }>> {
    return this.dataSource.getRepository(SandboxSms).find({
      where: { phone },
      order: { sentAt: 'DESC' },
      take: limit,
      select: { text: true, purpose: true, sentAt: true },
    });
  }
}
