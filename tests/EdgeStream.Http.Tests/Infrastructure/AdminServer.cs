using System.Net.Http.Headers;
using System.Text;
using EdgeStream.Log;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeStream.Http.Tests.Infrastructure;

/// <summary>
/// A real generic host running the admin server on 127.0.0.1 with an OS-chosen port, over a real <see cref="LogStore"/>
/// in a fresh temp directory; everything is stopped and deleted on dispose.
/// </summary>
internal sealed class AdminServer : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _directory;

    private AdminServer(IHost host, LogStore store, string directory, Uri address)
    {
        _host = host;
        Store = store;
        _directory = directory;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public LogStore Store { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public string Directory => _directory;

    public IServiceProvider Services => _host.Services;

    public static async Task<AdminServer> StartAsync(
        Dictionary<string, string?>? configuration = null,
        Action<LogOptions>? log = null,
        Action<IServiceCollection>? services = null,
        Func<LogOptions, Task<LogStore>>? open = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "edgestream-http-tests", Guid.NewGuid().ToString("N"));
        // The disk-space floor is off so a nearly full test machine does not turn every append into a 507.
        var options = new LogOptions { DataDirectory = Path.Combine(directory, "data"), MinFreeBytes = 0, MinFreePercent = 0 };
        log?.Invoke(options);
        var store = open is null ? await LogStore.OpenAsync(options) : await open(options);
        try
        {
            var host = BuildHost(store, configuration, services);
            await host.StartAsync();
            var address = host.Services.GetRequiredService<AdminListenerState>().Address
                ?? throw new InvalidOperationException("The admin server did not report an address.");
            return new AdminServer(host, store, directory, address);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>The host as <c>edgestream run</c> builds it, minus the other stages; not started.</summary>
    public static IHost BuildHost(LogStore store, Dictionary<string, string?>? configuration, Action<IServiceCollection>? services)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        builder.Services.AddLogging();
        builder.Services.AddSingleton(store);
        builder.Services.AddEdgeStreamHttp(builder.Configuration);
        builder.Services.Configure<HttpOptions>(o => o.ListenOnFreePort = true);
        services?.Invoke(builder.Services);
        return builder.Build().MapEdgeStreamHttp();
    }

    public Task<HttpResponseMessage> PostAsync(string topic, string body, string contentType, string? token = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/topics/{topic}/records")
        {
            Content = new StringContent(body, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (key is not null)
        {
            request.Headers.Add("X-EdgeStream-Key", key);
        }
        return Client.SendAsync(request);
    }

    /// <summary>Appends <paramref name="count"/> text records and waits until they are durable (readable).</summary>
    public async Task AppendAsync(string topic, int count, string? key = null, int partition = 0)
    {
        Store.EnsureTopic(topic);
        var records = Enumerable.Range(0, count)
            .Select(i => new LogRecord(Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), key is null ? null : Encoding.UTF8.GetBytes(key)))
            .ToList();
        var result = await Store.AppendBatchAsync(topic, partition, records);
        await Store.WaitForDurableAsync(topic, partition, result.LastOffset);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await _host.StopAsync();
        }
        finally
        {
            await ((IAsyncDisposable)_host).DisposeAsync();
            await Store.DisposeAsync();
            try
            {
                System.IO.Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A straggling file handle must not fail the test; the temp dir is cleaned by the OS eventually.
            }
        }
    }
}
