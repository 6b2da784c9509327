import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type Actor, parseUai } from '#ruche/domain-kit';
import { CommandRunner, RucheCommand, type Landed, type RequestMeta } from '#ruche/platform';
import { establishmentDecider, type EstablishmentCommand } from '../establishment.decide.js';
import { establishmentStreamName } from '../establishment.js';

export type MilestoneLanded = Landed & { recorded: boolean };

/** POST /api/establishments/:uai/milestones: a PIX milestone of the establishment, once. */
export class RecordMilestoneCommand extends RucheCommand<MilestoneLanded> {
  constructor(
    readonly uai: string,
    readonly milestone: string,
    readonly date: string | undefined,
    actor: Actor,
    meta: RequestMeta,
  ) {
    super(actor, meta);
  }
}

@CommandHandler(RecordMilestoneCommand)
export class RecordMilestoneHandler implements ICommandHandler<RecordMilestoneCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute(command: RecordMilestoneCommand): Promise<MilestoneLanded> {
    // The stream is named by the UAI: refuse a malformed one before touching any stream.
    const uai = parseUai(command.uai);
    const { milestone, date } = command;
    const result = await this.runner.run(
      establishmentStreamName(uai),
      establishmentDecider,
      command,
      (metadata): EstablishmentCommand => ({ type: 'RecordMilestone', data: { uai, milestone, date }, metadata }),
    );
    return { id: uai, revision: result.revision, position: result.position, recorded: result.events.length > 0 || result.replayed };
  }
}

export const establishmentCommandHandlers = [RecordMilestoneHandler];
