@story:US3 @priority:P3
Feature: Bot Operations Testing
  Developers can test bot-related operations including listing bots, retrieving bot details, and managing bot workspaces through comprehensive test coverage.

  Why this priority: Tests primary Coze functionality for bot management, which is the core use case for the Coze platform. Depends on working client from P2.

  Independent Test: Can be tested by running bot-specific test suite that validates list operations, retrieval operations, and workspace queries using mocked API responses.

  @acceptance:US3-AS1 @fr:FR-006 @fr:FR-012 @parity
  Scenario: Listing a workspace's bots page by page
    Given workspace ID provided
    When listing bots with pagination
    Then returns paginated bot list with correct page numbers and items

  @acceptance:US3-AS2 @fr:FR-006 @fr:FR-017 @parity
  Scenario: Retrieving a bot's details
    Given bot ID provided
    When retrieving bot details
    Then returns bot information with metadata and logid for debugging

  @acceptance:US3-AS3 @fr:FR-006 @fr:FR-015 @parity
  Scenario: Bot and workspace requests use the right endpoints and authentication
    Given mock API responses
    When testing bot operations
    Then all HTTP requests use correct endpoints and authentication headers
