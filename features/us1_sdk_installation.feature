@story:US1 @priority:P1
Feature: SDK Installation and Configuration
  Developers can install and configure the Coze Python SDK in the backend API to enable integration with Coze AI services.

  Why this priority: Foundation for all Coze functionality - without SDK installation and configuration, no other features can work. This establishes the basic infrastructure.

  Independent Test: Can be fully tested by verifying SDK installation in pyproject.toml, confirming package is importable, and validating authentication configuration through environment variables.

  @acceptance:US1-AS1 @fr:FR-001
  Scenario: The SDK is declared as a backend dependency
    Given pyproject.toml exists
    When Coze SDK dependency is added
    Then the SDK package (cozepy) is listed in dependencies

  @acceptance:US1-AS2 @fr:FR-001
  Scenario: The SDK imports cleanly
    Given SDK is installed
    When importing cozepy in Python code
    Then import succeeds without errors

  @acceptance:US1-AS3 @fr:FR-004 @fr:FR-005 @fr:FR-015 @fr:FR-017 @parity
  Scenario: The client authenticates with credentials from the environment
    Given environment variables are configured
    When initializing Coze client
    Then client authenticates successfully with provided credentials
