import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { EventStore } from '#ruche/eventstore';
import { CLOCK, EVENT_STORE, handleCommand, loadStream, type Clock } from '#ruche/platform';
import { userDecider } from '../user.decide.js';
import { userStreamName } from '../user.js';
import { AUTH_SETTINGS, type AuthSettings } from './auth.settings.js';
import { CurrentUser, Public, type SignedInUser } from './auth.decorators.js';
import { DevLoginDto, MeDto } from './auth.dto.js';
import { SESSION_COOKIE, SessionStore } from './session.store.js';
import { UserDirectory } from './user-directory.js';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly directory: UserDirectory,
    private readonly sessions: SessionStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
  ) {}

  /**
   * Dev sign-in: any e-mail, created on first use with the claims given. Later sign-ins with
   * other claims update them (as an identity provider's fresh claims would).
   */
  @Public()
  @Post('auth/dev-login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in by e-mail (AUTH_MODE=dev only; 404 otherwise)' })
  @ApiOkResponse({ type: MeDto })
  async devLogin(@Body() body: DevLoginDto, @Res({ passthrough: true }) response: Response): Promise<MeDto & { position: number }> {
    if (this.settings.authMode !== 'dev') throw new NotFoundException();
    const resolved = await this.directory.resolve(body, 'self');
    let position = resolved.position;
    if (!resolved.created && (body.displayName !== undefined || body.roles !== undefined || body.uai !== undefined)) {
      const actor = { userId: resolved.userId, roles: [], uai: undefined };
      const update = await handleCommand(
        this.store,
        userStreamName(resolved.userId),
        userDecider,
        {
          type: 'UpdateUserProfile',
          data: { userId: resolved.userId, displayName: body.displayName, roles: body.roles, uai: body.uai, viaSignIn: true },
          metadata: { actor, now: this.clock.now() },
        },
        { userId: resolved.userId },
      );
      position = Math.max(position, update.position);
    }
    const { state } = await loadStream(this.store, userStreamName(resolved.userId), userDecider);
    if (state.status !== 'registered') throw new Error('user registration did not land');
    const session = await this.sessions.create(resolved.userId, position);
    response.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.settings.secureCookies,
      path: '/',
      expires: session.expiresAt,
    });
    return {
      id: state.userId,
      email: state.email,
      displayName: state.displayName,
      roles: [...state.roles],
      ...(state.uai ? { uai: state.uai } : {}),
      position,
    };
  }

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Ends the session' })
  async logout(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    const token: unknown = request.cookies?.[SESSION_COOKIE];
    if (typeof token === 'string') await this.sessions.delete(token);
    response.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @ApiCookieAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentUser() user: SignedInUser): MeDto {
    return { id: user.userId, email: user.email, displayName: user.displayName, roles: [...user.roles], ...(user.uai ? { uai: user.uai } : {}) };
  }
}
