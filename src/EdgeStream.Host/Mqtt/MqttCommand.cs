using System.CommandLine;
using System.Text;
using EdgeStream.Ingest.Mqtt.Auth;

namespace EdgeStream.Host.Mqtt;

/// <summary>The <c>mqtt</c> verb: <c>hash-password</c> makes a salted hash for <c>Mqtt:Users:N:PasswordHash</c>.</summary>
internal static class MqttCommand
{
    public static Command Create()
    {
        var iterations = new Option<int>("--iterations") { Description = "PBKDF2 iterations (at least 1000).", DefaultValueFactory = _ => PasswordHasher.DefaultIterations };
        var hash = new Command("hash-password", "Read a password from standard input (no echo on a terminal) and print its pbkdf2-sha256 hash for Mqtt:Users:N:PasswordHash.") { iterations };
        hash.SetAction(async (parse, ct) =>
        {
            var rounds = parse.GetValue(iterations);
            if (rounds < 1000)
            {
                await Console.Error.WriteLineAsync("edgestream: --iterations must be at least 1000");
                return 2;
            }
            // Read from stdin rather than an argument so the password stays out of shell history and `ps`.
            var password = Console.IsInputRedirected ? await Console.In.ReadLineAsync(ct) : ReadHidden();
            if (string.IsNullOrEmpty(password))
            {
                await Console.Error.WriteLineAsync("edgestream: empty password");
                return 2;
            }
            Console.Out.WriteLine(PasswordHasher.Hash(password, rounds));
            return 0;
        });
        return new Command("mqtt", "MQTT ingest tools.") { hash };
    }

    private static string ReadHidden()
    {
        Console.Error.Write("Password: ");
        var sb = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return sb.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0)
                {
                    sb.Length--;
                }
                continue;
            }
            sb.Append(key.KeyChar);
        }
    }
}
