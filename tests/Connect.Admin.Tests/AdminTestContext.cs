using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace Connect.Admin.Tests;

/// <summary>bUnit context with MudBlazor registered, loose JS interop and a steerable clock.</summary>
public abstract class AdminTestContext : BunitContext, IAsyncLifetime
{
    protected AdminTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<TimeProvider>(Clock);
    }

    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services can only be disposed asynchronously; xUnit then calls Dispose, which finds them gone.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
