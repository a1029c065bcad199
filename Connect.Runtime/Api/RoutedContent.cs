using Connect.Runtime.Authentication;
using Connect.Runtime.Content;
using Connect.Shared.Access;
using Connect.Shared.Content;

namespace Connect.Runtime.Api;

/// <summary>
/// A route's content item, loaded once and checked against the route's <see cref="ContentRouteAccess.RequireContent"/>
/// right before its handler runs: <c>{guid}</c> names it in the v1 API, <c>{id}</c> in the legacy one. A handler that
/// takes it never sees an item its caller may not see or, for <see cref="ContentRight.Change"/>, change.
/// </summary>
internal sealed class RoutedContent
{
    private readonly ContentItem? _item;

    private RoutedContent(ContentItem? item, Caller caller, IResult? refusal)
    {
        _item = item;
        Caller = caller;
        Refusal = refusal;
    }

    /// <summary>The item (the route's filter has answered the refusal before the handler could ask otherwise).</summary>
    public ContentItem Item => _item ?? throw new InvalidOperationException("the item was refused; the route's filter answers before the handler runs");

    public Caller Caller { get; }

    /// <summary>The answer when the caller may not: 404 as for an item that does not exist, or 403.</summary>
    internal IResult? Refusal { get; }

    /// <summary>Minimal APIs' binding: reads the route value and the route's right, loads and checks the item.</summary>
    public static async ValueTask<RoutedContent?> BindAsync(HttpContext context)
    {
        var right = context.GetEndpoint()?.Metadata.GetMetadata<RequiredContentRight>()?.Right
            ?? throw new InvalidOperationException("a handler takes RoutedContent only on a route with RequireContent");
        var contents = context.RequestServices.GetRequiredService<ContentRepository>();
        var caller = Caller.From(context.User);
        var values = context.Request.RouteValues;
        var ct = context.RequestAborted;
        var (item, what) = values.TryGetValue("guid", out var guid) && guid is string g ? (await contents.GetAsync(g, ct), $"content {g}")
            : values.TryGetValue("id", out var raw) && long.TryParse(raw as string, out var id) ? (await contents.GetAsync(id, ct), $"application {id}")
            : throw new InvalidOperationException("a route with RequireContent names its item with {guid} or {id}");
        var (allowed, refusal) = await ContentAccess.CheckAsync(contents, item, caller, what, right, ct);
        return new RoutedContent(allowed, caller, refusal);
    }
}

/// <summary>The right a route's <see cref="RoutedContent"/> is checked for.</summary>
internal sealed record RequiredContentRight(ContentRight Right);

internal static class ContentRouteAccess
{
    /// <summary>
    /// The route's handler takes a <see cref="RoutedContent"/> that the caller holds <paramref name="right"/> on; a
    /// caller who does not gets the refusal, and the handler does not run.
    /// </summary>
    public static TBuilder RequireContent<TBuilder>(this TBuilder builder, ContentRight right) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiredContentRight(right));
        return builder.AddEndpointFilter(async (context, next) =>
            context.Arguments.OfType<RoutedContent>().FirstOrDefault() is { Refusal: { } refusal } ? refusal : await next(context));
    }
}
