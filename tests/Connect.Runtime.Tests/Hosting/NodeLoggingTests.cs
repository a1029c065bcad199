using Connect.Runtime.Hosting;
using Connect.Shared.Configuration;
using Connect.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connect.Runtime.Tests.Hosting;

public sealed class NodeLoggingTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Hosting_diagnostics_are_off_so_no_request_gets_an_activity_while_errors_still_reach_the_log()
    {
        await using var app = NodeHost.Build(new ConnectOptions { Server = { DataDir = _folder.Path } });
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        // ASP.NET Core's hosting layer starts an Activity for every request while this logger is on at any level.
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Error));
        Assert.True(loggers.CreateLogger("Connect.Api").IsEnabled(LogLevel.Information));
    }
}
