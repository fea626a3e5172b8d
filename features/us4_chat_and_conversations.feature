@story:US4 @priority:P3
Feature: Chat and Conversation Testing
  Developers can test chat functionality including both synchronous and streaming chat messages, conversation management, and message operations.

  Why this priority: Validates the interactive chat capabilities of Coze bots, essential for conversational AI features. Same priority as bot operations since both are core features.

  Independent Test: Can be tested through dedicated chat test suite covering message creation, streaming responses, conversation management, and event handling with mocked responses.

  @acceptance:US4-AS1 @fr:FR-007 @fr:FR-012 @fr:FR-017 @parity
  Scenario: A blocking chat returns the complete answer with token usage
    Given bot ID and user message
    When creating chat in blocking mode
    Then returns complete response with token usage statistics

  @acceptance:US4-AS2 @fr:FR-007 @fr:FR-016 @fr:FR-017 @parity
  Scenario: A streaming chat yields delta and completion events
    Given bot ID and user message
    When streaming chat
    Then yields events for message deltas and completion with proper event types

  @acceptance:US4-AS3 @fr:FR-008 @fr:FR-015 @parity
  Scenario: Managing a conversation
    Given conversation ID
    When managing conversation (create/retrieve/delete)
    Then operations succeed with appropriate API calls and responses

  @acceptance:US4-AS4 @fr:FR-016 @fr:FR-017 @parity
  Scenario: Processing chat stream event types
    Given chat stream events
    When processing event types
    Then correctly handles CONVERSATION_MESSAGE_DELTA and CONVERSATION_CHAT_COMPLETED events
