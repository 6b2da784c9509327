import { Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { CSV_CONTENT_TYPE, toCsv, type CsvTable } from '../csv.js';

export const CSV_EXPORT = 'ruche:csv-export';

interface CsvExport {
  filename: string;
  render(result: never): CsvTable | CsvTable[];
}

/** The route also answers CSV: `render` turns its JSON answer into tables. */
export function CsvExport<Result>(filename: string, render: (result: Result) => CsvTable | CsvTable[]): MethodDecorator {
  return SetMetadata(CSV_EXPORT, { filename, render } as CsvExport);
}

/** `?format=csv` wins; without `format`, an `Accept` preferring text/csv to JSON. */
export function wantsCsv(request: Request): boolean {
  const format = request.query?.format;
  if (format === 'csv') return true;
  if (format !== undefined) return false;
  const accept = request.header('accept') ?? '';
  return /text\/csv/i.test(accept) && request.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/**
 * Answers CSV where a route declares @CsvExport and the client asks for it; errors stay
 * problem+json (they never reach this mapping).
 */
@Injectable()
export class CsvInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const exporter = this.reflector.get<CsvExport | undefined>(CSV_EXPORT, context.getHandler());
    const http = context.switchToHttp();
    if (!exporter || !wantsCsv(http.getRequest<Request>())) return next.handle();
    const response = http.getResponse<Response>();
    return next.handle().pipe(
      map((result: unknown) => {
        const body = toCsv(exporter.render(result as never));
        response.setHeader('Content-Type', CSV_CONTENT_TYPE);
        response.setHeader('Content-Disposition', `attachment; filename="${exporter.filename}"`);
        response.setHeader('Vary', 'Accept');
        return body;
      }),
    );
  }
}
