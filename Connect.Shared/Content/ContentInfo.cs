namespace Connect.Shared.Content;

/// <summary>What an item says about itself (title, description): its bounds, the same for the API and the dashboard.</summary>
public static class ContentInfo
{
    public const int MaxTitleLength = 1024;
    public const int MaxDescriptionLength = 64 * 1024;

    /// <summary>Each problem with a new title or description, naming its field; empty when they are acceptable.</summary>
    public static List<string> Problems(string? title, string? description)
    {
        var problems = new List<string>();
        if (title is { Length: > MaxTitleLength })
        {
            problems.Add($"title may have at most {MaxTitleLength} characters");
        }

        if (description is { Length: > MaxDescriptionLength })
        {
            problems.Add($"description may have at most {MaxDescriptionLength} characters");
        }

        return problems;
    }
}
