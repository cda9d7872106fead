import { HttpConversationChannel, LoggingConversationChannel, type ConversationChannel } from '../activities/conversation-channel';
import type { HookwaitConfig } from '../config';
import type { Logger } from '../logging/logger';

/** The helpdesk over HTTP when HOOKWAIT_HELPDESK_URL is set, else the log (development). */
export function conversationChannelFromConfig(config: HookwaitConfig, logger: Logger): ConversationChannel {
  return config.helpdesk
    ? new HttpConversationChannel({ url: config.helpdesk.url, ...(config.helpdesk.token ? { token: config.helpdesk.token } : {}) })
    : new LoggingConversationChannel(logger.child({ component: 'conversation' }));
}
