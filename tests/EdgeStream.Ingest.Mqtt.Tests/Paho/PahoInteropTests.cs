namespace EdgeStream.Ingest.Mqtt.Tests.Paho;

/// <summary>
/// The Eclipse Paho MQTT 3.1.1 interoperability client tests (client_test.py), each alone against a fresh broker.
/// A test listed in <see cref="PahoRunner.KnownGaps"/> that fails is reported as skipped with its reason, so the
/// passed/skipped split is the Paho score.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PahoInteropV311Tests
{
    public static TheoryData<string> Tests =>
    [
        "testBasic", "test_retained_messages", "test_zero_length_clientid", "test_offline_message_queueing", "test_overlapping_subscriptions",
        "test_keepalive", "test_redelivery_on_reconnect", "test_subscribe_failure", "test_dollar_topics", "test_unsubscribe",
    ];

    [Theory]
    [MemberData(nameof(Tests))]
    public Task Paho_mqtt311_interoperability_test_passes(string test) => PahoRunner.RunAsync("client_test", test);
}

/// <summary>
/// The Eclipse Paho MQTT 5.0 interoperability client tests (client_test5.py), each alone against a fresh broker. They take
/// 8-28 s each (the script's clean-up connects and waits), so they are split into three classes that run side by side
/// rather than one class of 27 that the whole project waited for.
/// </summary>
[Trait("Category", "Slow")]
public abstract class PahoInteropV5Tests
{
    [Theory]
    [MemberData("Tests")]
    public Task Paho_mqtt5_interoperability_test_passes(string test) => PahoRunner.RunAsync("client_test5", test);
}

/// <summary>client_test5.py's tests of the 3.1.1 features.</summary>
public sealed class PahoInteropV5BasicTests : PahoInteropV5Tests
{
    public static TheoryData<string> Tests =>
    [
        "test_basic", "test_retained_message", "test_will_message", "test_zero_length_clientid", "test_offline_message_queueing",
        "test_overlapping_subscriptions", "test_keepalive", "test_redelivery_on_reconnect", "test_subscribe_failure",
    ];
}

/// <summary>client_test5.py's tests of topics and properties.</summary>
public sealed class PahoInteropV5PropertiesTests : PahoInteropV5Tests
{
    public static TheoryData<string> Tests =>
    [
        "test_dollar_topics", "test_unsubscribe", "test_user_properties", "test_payload_format", "test_publication_expiry",
        "test_subscribe_options", "test_assigned_clientid", "test_subscribe_identifiers", "test_request_response",
    ];
}

/// <summary>client_test5.py's tests of sessions, aliases, limits and flow control.</summary>
public sealed class PahoInteropV5LimitsTests : PahoInteropV5Tests
{
    public static TheoryData<string> Tests =>
    [
        "test_session_expiry", "test_client_topic_alias", "test_server_topic_alias", "test_maximum_packet_size", "test_server_keep_alive",
        "test_flow_control1", "test_flow_control2", "test_will_delay", "test_shared_subscriptions",
    ];
}
