@story:EDGE
Feature: Live contract check
  Everything the suite knows about Coze is written from documentation. `coze-acceptance --live` asks a
  team's own Coze workspace, through the backend's own clients, whether the wire still matches: each
  answer against the OpenAPI description, the golden files, and cozepy. Here the workspace is a fake
  Coze on 127.0.0.1 serving the golden files, so the check runs without internet.

  @fr:FR-017 @parity
  Scenario: A team verifies its Coze workspace still matches the documented wire
    Given a Coze workspace on 127.0.0.1 that answers with the documented wire
    When the team runs the live contract check against it
    Then every operation is reported with its status, logid and duration
    And no drift is found, and the check exits 0 after at most 30 requests
