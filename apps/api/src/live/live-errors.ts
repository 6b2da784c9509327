import type { LiveError } from '#ruche/live-client';

/** A refusal answered in an acknowledgement (never thrown past the gateway). */
export class LiveRefusal extends Error {
  constructor(readonly error: LiveError) {
    super(error.message);
    this.name = 'LiveRefusal';
  }

  static validation(field: string, message: string): LiveRefusal {
    return new LiveRefusal({ code: 'VALIDATION', message, field });
  }

  /** One answer for a room that does not exist and for one the caller may not know exists. */
  static noSuchRoom(): LiveRefusal {
    return new LiveRefusal({ code: 'NOT_FOUND', message: 'No such room' });
  }
}
