"""HTTP contracts in the Pact format: the model, reading and writing files, matching, generators.

The public surface is listed in `__all__`; other packages import only these names.
"""

from interlock.contracts import match
from interlock.contracts.compat import (
    CompatReport,
    InteractionCompat,
    check_interaction,
    check_pacts_against_spec,
    compat_to_json,
)
from interlock.contracts.compat_body import CompatProblem
from interlock.contracts.database import (
    ContractQuery,
    DatabaseContract,
    contract_from_queries,
    load_contract_queries,
    load_database_contracts,
    write_database_contract,
)
from interlock.contracts.dsl import ConsumerPact, ContractDefinitionError, InteractionBuilder
from interlock.contracts.generators import (
    GeneratorContext,
    GeneratorError,
    generate_message,
    generate_request,
    generate_response,
    generate_value,
)
from interlock.contracts.index import ContractIndex, PactFile, index_contracts, interaction_view
from interlock.contracts.junit import report_to_junit
from interlock.contracts.matching import (
    MessageMatcher,
    RequestMatcher,
    ResponseMatcher,
    match_message,
    match_request,
    match_response,
)
from interlock.contracts.mock_provider import (
    MockProvider,
    MockProviderError,
    MockReport,
    UnexpectedRequest,
)
from interlock.contracts.model import (
    Body,
    HttpRequest,
    HttpResponse,
    Interaction,
    InteractionKind,
    MatchingRule,
    Message,
    Mismatch,
    Pact,
    ProviderState,
    RuleList,
)
from interlock.contracts.openapi_doc import (
    OpenApiDocument,
    OpenApiOperation,
    PathTemplate,
    coerce_parameter,
    load_openapi,
    parse_openapi,
    read_document_file,
)
from interlock.contracts.openapi_schema import resolve_ref, schema_example, validate_schema
from interlock.contracts.pact_files import (
    PactCollector,
    PactConflictError,
    WriteMode,
    pact_file_name,
)
from interlock.contracts.pact_reader import (
    load_pact,
    parse_message,
    parse_pact,
    parse_request,
    parse_response,
)
from interlock.contracts.pact_writer import pact_to_json, write_pact
from interlock.contracts.spec_diff import (
    AffectedInteraction,
    SpecChange,
    SpecDiff,
    diff_specs,
    diff_to_json,
)
from interlock.contracts.spec_diff_schema import ChangeSeverity
from interlock.contracts.verification import (
    InteractionResult,
    MessageProducer,
    ProducedMessage,
    VerificationReport,
    VerifyOptions,
    find_pact_files,
    report_to_json,
    verify_pacts,
)

__all__ = [
    "AffectedInteraction",
    "Body",
    "ChangeSeverity",
    "CompatProblem",
    "CompatReport",
    "ConsumerPact",
    "ContractDefinitionError",
    "ContractIndex",
    "ContractQuery",
    "DatabaseContract",
    "GeneratorContext",
    "GeneratorError",
    "HttpRequest",
    "HttpResponse",
    "Interaction",
    "InteractionBuilder",
    "InteractionCompat",
    "InteractionKind",
    "InteractionResult",
    "MatchingRule",
    "Message",
    "MessageMatcher",
    "MessageProducer",
    "Mismatch",
    "MockProvider",
    "MockProviderError",
    "MockReport",
    "OpenApiDocument",
    "OpenApiOperation",
    "Pact",
    "PactCollector",
    "PactConflictError",
    "PactFile",
    "PathTemplate",
    "ProducedMessage",
    "ProviderState",
    "RequestMatcher",
    "ResponseMatcher",
    "RuleList",
    "SpecChange",
    "SpecDiff",
    "UnexpectedRequest",
    "VerificationReport",
    "VerifyOptions",
    "WriteMode",
    "check_interaction",
    "check_pacts_against_spec",
    "coerce_parameter",
    "compat_to_json",
    "contract_from_queries",
    "diff_specs",
    "diff_to_json",
    "find_pact_files",
    "generate_message",
    "generate_request",
    "generate_response",
    "generate_value",
    "index_contracts",
    "interaction_view",
    "load_contract_queries",
    "load_database_contracts",
    "load_openapi",
    "load_pact",
    "match",
    "match_message",
    "match_request",
    "match_response",
    "pact_file_name",
    "pact_to_json",
    "parse_message",
    "parse_openapi",
    "parse_pact",
    "parse_request",
    "parse_response",
    "read_document_file",
    "report_to_json",
    "report_to_junit",
    "resolve_ref",
    "schema_example",
    "validate_schema",
    "verify_pacts",
    "write_database_contract",
    "write_pact",
]
