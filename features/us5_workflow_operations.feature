@story:US5 @priority:P4
Feature: Workflow Operations Testing
  Developers can test Coze workflow execution including running workflows, retrieving results, and accessing workflow logs with various filters.

  Why this priority: Workflow functionality is an advanced feature that builds upon basic chat capabilities. Lower priority than core chat/bot features.

  Independent Test: Can be tested via workflow-specific test suite validating workflow execution modes (blocking/streaming), result retrieval, and log filtering with mocked API responses.

  @acceptance:US5-AS1 @fr:FR-009 @fr:FR-012 @parity
  Scenario: A blocking workflow run returns its status and output
    Given workflow ID and inputs
    When executing workflow in blocking mode
    Then returns workflow results with execution status and output data

  @acceptance:US5-AS2 @fr:FR-009 @parity
  Scenario: A streamed workflow run reports its progress as it happens
    Given workflow ID and inputs
    When executing workflow in streaming mode
    Then streams workflow progress and results incrementally

  @acceptance:US5-AS3 @fr:FR-010 @parity
  Scenario: Retrieving the results of a workflow run
    Given workflow run ID
    When retrieving workflow results
    Then returns complete execution details and output

  @acceptance:US5-AS4 @fr:FR-010 @parity
  Scenario: Querying workflow logs with filters
    Given filter parameters (status, date range, keywords)
    When querying workflow logs
    Then returns filtered log entries matching criteria
