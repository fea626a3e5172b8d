@story:US2 @priority:P2
Feature: Basic Coze Client Functionality Testing
  Developers can verify core Coze SDK client operations work correctly through comprehensive unit tests covering synchronous and asynchronous clients.

  Why this priority: Ensures SDK integration is functioning correctly and provides code examples for future development. Builds on P1 installation foundation.

  Independent Test: Can be tested independently by running pytest suite that validates client initialization, authentication patterns, and basic client properties using mocks.

  @acceptance:US2-AS1 @fr:FR-003 @fr:FR-004 @fr:FR-005 @fr:FR-015 @parity
  Scenario: Sync and async clients initialise with correct authentication
    Given test fixtures for API credentials
    When tests execute client initialization
    Then both sync and async clients initialize with correct authentication

  @acceptance:US2-AS2 @fr:FR-004 @fr:FR-005 @fr:FR-013 @parity
  Scenario: Client properties are accessible and correct
    Given mock responses configured
    When tests verify client properties
    Then API key, base URL, and authentication methods are accessible and correct

  @acceptance:US2-AS3
  Scenario: The client initialisation tests pass under pytest
    Given test suite configured
    When running pytest
    Then all client initialization tests pass without errors

  @fr:FR-011 @parity
  Scenario: No test request can reach Coze
    Given no mocked response for the current user
    When the client asks Coze for the current user
    Then the request is refused as unmocked
    And a real connection to Coze is refused before it opens
