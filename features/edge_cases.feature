@story:EDGE
Feature: Edge cases
  The spec's open questions about failures, each answered with the behaviour the backend can rely on.
  Every error the integration raises is typed, carries the Coze logid when Coze sent one, never shows
  the token, and keeps whatever data had already arrived.

  @acceptance:EC-1 @fr:FR-017 @parity
  Scenario: What happens when Coze API token is invalid or expired during client initialization?
    Given a client whose token Coze rejects as invalid or expired
    When the client checks its credentials
    Then an authentication error carries the Coze code, message and logid
    And the error tells the developer to check COZE_API_TOKEN without showing the token

  @acceptance:EC-2 @fr:FR-013 @parity
  Scenario: How does the system handle network errors or timeouts when making Coze API calls?
    Given the connection to Coze fails twice before a bot lookup succeeds
    And a chat request that times out
    When the backend retrieves the bot and then creates the chat
    Then the bot is returned after two retries with growing delays
    And the chat fails with a timeout error naming the request, sent only once

  @acceptance:EC-3 @fr:FR-001
  Scenario: What happens when SDK version conflicts occur with other dependencies in pyproject.toml?
    Given cozepy 0.19.0 and httpx 0.27.2 are installed instead of the locked versions
    When a client factory checks the installed SDK versions
    Then a version conflict error names each package with the version found and the range required

  @acceptance:EC-4 @fr:FR-017 @parity
  Scenario: How does the system handle rate limiting from Coze API endpoints?
    Given Coze rate-limits every bot list request with code 4013 and Retry-After of 2 seconds
    When the backend lists the bots
    Then the backend waits 2 seconds between its 3 attempts, as Coze asked
    And a rate-limit error with code 4013 and the logid surfaces

  @acceptance:EC-5 @fr:FR-006 @fr:FR-017 @parity
  Scenario: What happens when workspace ID or bot ID doesn't exist or is inaccessible?
    Given a bot ID that does not exist and a workspace ID the token may not access
    When the backend retrieves the bot and lists the workspace's bots
    Then a not-found error names the bot ID and carries the logid
    And a permission error names the workspace ID and carries the logid

  @acceptance:EC-6 @fr:FR-016 @fr:FR-017 @parity
  Scenario: How does streaming chat handle connection interruptions or partial event data?
    Given a chat stream that loses its connection in the middle of an event, after three answer deltas
    When the backend consumes the stream
    Then a stream-interrupted error is raised
    And the error keeps the answer text received so far, the chat ID and the logid

  @acceptance:EC-7 @fr:FR-009 @fr:FR-013 @parity
  Scenario: What happens when workflow execution exceeds timeout limits?
    Given a workflow that is still running when the backend's deadline passes
    And a blocking workflow run whose request times out
    When the backend waits for the first and runs the second
    Then the first fails with a timeout error carrying its execute ID, so the result can be fetched later
    And the second fails with a timeout error naming the request, sent only once

  @acceptance:EC-8 @fr:FR-016 @fr:FR-017 @parity
  Scenario: How does the system handle malformed event data in streaming responses?
    Given a chat stream in which an event after three answer deltas carries invalid JSON data
    When the backend consumes the stream
    Then a malformed-event error carries the offending data and the logid
    And the answer text received before it is kept

  @fr:FR-014 @parity
  Scenario: Building a client leaves the process-wide log level to the backend's startup call
    Given COZE_DEBUG is true and the application keeps cozepy's logger at ERROR
    When the backend builds a client from the environment
    Then cozepy's logger is still at ERROR
    And the backend's startup call applies DEBUG to cozepy's and the integration's loggers

  @fr:FR-001 @parity
  Scenario: A client builds when the integration is vendored without its distribution metadata
    Given no installed distribution's metadata can be found, as when the code is vendored into the backend
    When the backend builds its client
    Then the client is built with the configured base URL

  @fr:FR-006 @fr:FR-017 @parity
  Scenario: A token without access to a workspace gets a permission error, not an authentication error
    Given Coze answers the bot list with code 4101 because the token may not access the workspace
    When the backend lists the bots
    Then a permission error with code 4101 and the logid surfaces, sent only once
    And it is not an authentication error and does not tell the developer to check COZE_API_TOKEN

  @fr:FR-013 @fr:FR-017 @parity
  Scenario: A Retry-After longer than the allowed wait fails at once instead of holding the request
    Given Coze rate-limits the bot list with code 4013 and asks to wait an hour
    When the backend lists the bots
    Then a rate-limit error with code 4013, the logid and the hour Coze asked for surfaces
    And the backend neither waited nor sent the request again

  @fr:FR-006 @fr:FR-013 @fr:FR-017 @parity
  Scenario: A failure on a later page of the bot list is typed and retried like one on the first page
    Given a workspace with three bots listed two per page, whose second page Coze keeps rate-limiting with Retry-After of 1 second
    When the backend lists every bot of the workspace
    Then the first page's bots arrive before a rate-limit error carrying the second page's logid
    And the second page was requested 3 times with page_index 2, 1 second apart

  @fr:FR-009 @parity
  Scenario: A streamed workflow's result is the End node's output joined from all its chunks
    Given a workflow stream whose End node sends its output in several chunks, then Done
    When the backend consumes the workflow stream
    Then the run is complete and its output is every End-node chunk joined in node_seq_id order
    And the result carries the debug URL sent with Done and the logid

  @fr:FR-009 @parity
  Scenario: A workflow stream that sends an Error event fails with the error's code and the progress so far
    Given a workflow stream that sends an Error event after the End node's first chunk
    When the backend consumes the workflow stream
    Then a stream error carries the Error event's code and message and the logid
    And the error keeps the messages received before it, and no output

  @fr:FR-009 @parity
  Scenario: A workflow stream that stops at a question waits to be resumed
    Given a workflow stream whose question node asks the user and then interrupts the run
    When the backend consumes the workflow stream
    Then the run is waiting, not complete, and has no output
    And the result carries the interrupt's event ID and type needed to resume the run

  @fr:FR-009 @parity
  Scenario: A workflow stream that closes before Done is reported as interrupted
    Given a workflow stream whose connection closes cleanly after two End-node chunks, before Done
    When the backend consumes the workflow stream
    Then a stream-interrupted error says the stream ended before Done
    And the error keeps every message received so far and the logid

  @fr:FR-009 @parity
  Scenario: A blocking workflow run with an empty output has finished
    Given a blocking workflow run that Coze answers with code 0, an empty output and an execute ID
    When the backend runs the workflow in blocking mode
    Then the run's status is Success, not Running
    And the outcome keeps the empty output, the execute ID, the debug URL and the logid

  @fr:FR-007 @parity
  Scenario: A blocking chat still running at the deadline can be resumed or cancelled
    Given a blocking chat that is still in progress when the backend's deadline passes
    When the backend asks the question and waits for the answer
    Then a deadline error carries the chat ID and the conversation ID as attributes
    And the error is not retryable, so no retry overruns the deadline

  @fr:FR-007 @fr:FR-016 @parity
  Scenario: A streamed chat keeps every answer the bot sent, as the blocking chat does
    Given a chat whose bot answers with a card sent whole and two texts sent in deltas
    When the backend streams the chat and then asks the same question in blocking mode
    Then the transcript keeps the three answers in order, each with its ID, content type and full content
    And the streamed answer text is the blocking answer text

  @fr:FR-009 @fr:FR-017 @parity
  Scenario: A blocking workflow run that stops at an input node waits to be resumed
    Given a blocking workflow run that Coze answers with an input node's interrupt
    When the backend runs the workflow in blocking mode
    Then the run is waiting and Running, not Success, with no output
    And the outcome carries the interrupt's event ID, type and data needed to resume the run, and the logid
