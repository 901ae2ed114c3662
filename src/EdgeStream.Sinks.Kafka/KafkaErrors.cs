using Confluent.Kafka;

namespace EdgeStream.Sinks.Kafka;

/// <summary>
/// How the Kafka sink acts on a librdkafka error (docs/forwarding.md has the table): a record upstream can never take
/// is dead-lettered; an authentication or authorization error is misconfiguration (sink rejected, nothing
/// dead-lettered); everything else is transient and retried. Stateless.
/// </summary>
internal static class KafkaErrors
{
    public enum Kind
    {
        Transient,
        BadRecord,
        Misconfigured,
    }

    public static Kind Classify(ErrorCode code) => code switch
    {
        // The record itself is refused (too big, malformed); CorruptMessage is a CRC error in transit: retried.
        ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidRecord or ErrorCode.InvalidMsg
            or ErrorCode.Local_BadMsg or ErrorCode.InvalidTimestamp or ErrorCode.RecordListTooLarge => Kind.BadRecord,
        // Credentials, ACLs or the topic name/template: every record would fail the same way until someone fixes it.
        ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed or ErrorCode.GroupAuthorizationFailed
            or ErrorCode.TransactionalIdAuthorizationFailed or ErrorCode.SaslAuthenticationFailed or ErrorCode.Local_Authentication
            or ErrorCode.IllegalSaslState or ErrorCode.UnsupportedSaslMechanism or ErrorCode.TopicException
            or ErrorCode.Local_UnknownTopic => Kind.Misconfigured,
        _ => Kind.Transient,
    };
}
