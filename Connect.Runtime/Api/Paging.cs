using Connect.Runtime.Authentication;

namespace Connect.Runtime.Api;

/// <summary>The reference's paging for lists of users and groups: <c>page_number</c> from 1, <c>page_size</c> up to 500.</summary>
internal readonly record struct Paging(int Page, int Size)
{
    public const int MaxPageSize = 500;

    /// <summary>The page asked for (20 items from the first when nothing is said), or the error that refuses it.</summary>
    public static (Paging Paging, IResult? Error) From(int? pageNumber, int? pageSize)
    {
        var paging = new Paging(pageNumber ?? 1, pageSize ?? 20);
        return paging.Size is < 1 or > MaxPageSize || paging.Page < 1
            ? (paging, ApiErrors.BadRequest($"page_size must be 1 to {MaxPageSize} and page_number 1 or more"))
            : (paging, null);
    }

    /// <summary><c>{results, current_page, total}</c> for this page of <paramref name="all"/>.</summary>
    public IResult Of<T>(IReadOnlyList<T> all, Func<T, object> json) =>
        Results.Json(new { results = all.Skip((Page - 1) * Size).Take(Size).Select(json), current_page = Page, total = all.Count });
}
