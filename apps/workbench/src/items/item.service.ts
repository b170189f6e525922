import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CASE_DOMAINS } from '@certhub/contracts';
import type { Caller } from '@certhub/service-kit';
import { WorkbenchErrors } from '../workbench.errors';
import { containsPattern, ITEM_VIEW_COLUMNS, itemView, type ItemListQuery, type ItemRow, type ItemView } from './item.views';

const BUSINESS_NO = /^[0-9]{14}$/;

/** WB-3 my items: the caller's own cases only, whatever the caller's roles. */
@Injectable()
export class ItemService {
  constructor(private readonly dataSource: DataSource) {}

  async list(caller: Caller, query: ItemListQuery) {
    const tab = query.tab ?? 'all';
    const size = query.size ?? 20;
    const page = query.page ?? 1;
    // Always scoped to the owner first: the owner indexes keep the search fast.
    const params: unknown[] = [caller.sub];
    let where = 'applicant_id = $1';
    const q = query.q?.trim();
    if (q) {
      params.push(containsPattern(q));
      where += ` AND (item_name ILIKE $2 OR stage_name ILIKE $2 OR item_name_en ILIKE $2 OR stage_name_en ILIKE $2)`;
    }
    const countRows: Array<{ status: string; n: string }> = await this.dataSource.query(
      `SELECT status, count(*) AS n FROM my_item WHERE ${where} GROUP BY status`,
      params,
    );
    const counts = { all: 0, draft: 0, active: 0, done: 0 };
    for (const row of countRows) {
      const n = Number(row.n);
      counts.all += n;
      if (row.status === 'draft' || row.status === 'active' || row.status === 'done') counts[row.status] += n;
    }
    const total = counts[tab];
    let items: ItemView[] = [];
    if (total > (page - 1) * size) {
      const listParams = [...params];
      let listWhere = where;
      if (tab !== 'all') {
        listParams.push(tab);
        listWhere += ` AND status = $${listParams.length}`;
      }
      listParams.push(size, (page - 1) * size);
      const rows: ItemRow[] = await this.dataSource.query(
        `SELECT ${ITEM_VIEW_COLUMNS} FROM my_item WHERE ${listWhere}
         ORDER BY changed_at DESC, domain, case_id LIMIT $${listParams.length - 1} OFFSET $${listParams.length}`,
        listParams,
      );
      items = rows.map(itemView);
    }
    return { items, total, counts, page, size };
  }

  /** One of the caller's items; someone else's answers the same 404 as an unknown one. */
  async get(caller: Caller, domain: string, businessNo: string): Promise<ItemView> {
    if (!(CASE_DOMAINS as readonly string[]).includes(domain) || !BUSINESS_NO.test(businessNo)) throw notFound();
    const rows: ItemRow[] = await this.dataSource.query(
      `SELECT ${ITEM_VIEW_COLUMNS} FROM my_item WHERE domain = $1 AND business_no = $2 AND applicant_id = $3`,
      [domain, businessNo, caller.sub],
    );
    if (rows.length === 0) throw notFound();
    return itemView(rows[0]!);
  }
}

function notFound() {
  return WorkbenchErrors.error('WORKBENCH_ITEM_NOT_FOUND', { field: 'businessNo' });
}
