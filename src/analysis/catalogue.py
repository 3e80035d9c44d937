"""The Chinese text of every message on the report pages, keyed by its English text (see
:mod:`analysis.i18n`). Operations vocabulary as Chinese community teams use it: 日活/周活/月活, 次日留存,
次周留存 (days 8–14), 次月留存 (days 24–30), 环比, 同比, and 百分点 for a change of a rate."""

from __future__ import annotations

# fmt: off
_SITE = {
    "All runs": "全部运行",
    "Runs": "运行记录",
    "Run details": "运行详情",
    "Community analytics reports": "社群分析报告",
    "{n} run(s), newest first": "共 {n} 次运行，最新在前",
    "No runs yet.": "还没有运行记录。",
    "started (UTC)": "开始时间（UTC）",
    "as of": "截至",
    "status": "状态",
    "duration": "耗时",
    "reports": "报告",
    "data": "数据",
    "run": "运行",
    "ok": "成功",
    "failed": "失败",
    "interrupted": "已中断",
    "running": "运行中",
    "unknown": "未知",
    " at cell {cell}": "（第 {cell} 个单元格）",
    "executed notebook": "已执行的笔记本",
    "parameter": "参数",
    "data fingerprint (sha256)": "数据指纹（sha256）",
    "package version": "软件包版本",
    "git commit": "git 提交",
    "run id": "运行编号",
    "Community KPIs": "社群核心指标",
    "Core members": "核心成员",
    "Member churn": "成员流失",
    "Incentive experiment": "激励实验",
    "n/a": "暂无",
    "yes": "是",
    "no": "否",
    " (last {n} of {total} rows; all rows in the CSV)": "（{total} 行中的最后 {n} 行；完整数据见 CSV）",
    "all {n} rows": "展开全部 {n} 行",
    "{change} vs previous": "环比 {change}",
}

_KPI = {
    "## What changed": "## 本期变化",
    "## Are more people coming?\n\nDaily active members (DAU) and distinct members active in the trailing 7 (WAU) "
    "and 30 days (MAU). A member counts once per window however often they come.":
        "## 来的人更多了吗？\n\n日活（DAU）是每天的活跃成员数，周活（WAU）和月活（MAU）是截至当天的 7 天和 30 天内"
        "活跃过的不同成员数。一个成员在窗口内无论来多少次都只算一次。",
    "## Are they contributing?\n\nContributions are posts, comments, shares and likes, counted when they are made.":
        "## 他们在贡献内容吗？\n\n贡献指发帖、评论、分享和点赞，按发生的时间计。",
    "## Are they staying?\n\nNew-member retention: of the members who joined on a day (day 0), the share active "
    "exactly k days later. Cells that cannot be observed yet are grey, never zero.":
        "## 他们留下来了吗？\n\n新成员留存：某天加入的成员（第 0 天）中，恰好在第 k 天活跃的比例。还无法观察到的格子"
        "显示为灰色，从不记作 0。",
    "Member retention: of the members active in a period, the share active again in the next.":
        "成员留存：某一期活跃的成员中，下一期再次活跃的比例。",
    "## Who is new, who came back, who went quiet\n\nEach week, active members are *new* (joined that week), "
    "*returning* (also active the week before) or *resurrecting* (back after at least a week away); *dormant* "
    "members were active the week before but not this week.":
        "## 谁是新人，谁回来了，谁沉默了\n\n每周的活跃成员分为*新增*（当周加入）、*留存*（上周也活跃）和*回流*"
        "（离开至少一周后回来）；*沉默*成员上周活跃、本周没有活跃。",
    "## By group": "## 分组",
    "## Definitions\n\n- **Local day**: calendar day in the report time zone; the report covers days up to *as of* "
    "and reads nothing after it.\n- **Active** on a day: at least one event of any type. **Contribution**: a post, "
    "comment, share or like.\n- **UV**: distinct members with a visit in the period (never a sum of daily UVs).\n"
    "- **DAU / WAU / MAU**: distinct active members on the day / in the 7 / 30 days ending that day. "
    "**Stickiness** = DAU/MAU.\n- **New-member retention day k**: active on local day join + k exactly (join day "
    "= day 0). **Two-week** = active on any day 8-14 after joining; **monthly** = any day 24-30.\n- **Two-week "
    "retention (members)**: consecutive 14-day blocks ending on the report date. **Monthly retention**: active in "
    "month M and in M+1.\n- Cells not observable yet are shown as n/a and never counted as 0; pooled rates use "
    "complete cells only.":
        "## 定义\n\n- **自然日**：报告时区的日历日；报告只覆盖*截至*日期及之前的日子，不读取之后的数据。\n"
        "- 某天**活跃**：当天至少有一次任何类型的事件。**贡献**：发帖、评论、分享或点赞。\n"
        "- **UV**：期间内访问过的不同成员数（从不把每天的 UV 相加）。\n"
        "- **日活 / 周活 / 月活**：当天 / 截至当天 7 天 / 30 天内活跃的不同成员数。**粘性** = 日活/月活。\n"
        "- **新成员第 k 天留存**：恰好在加入后第 k 个自然日活跃（加入当天为第 0 天）。**次周留存** = 加入后第 8–14 "
        "天中任意一天活跃；**次月留存** = 第 24–30 天中任意一天活跃。\n"
        "- **两周留存（成员）**：以报告日期为终点的连续 14 天区间。**月留存**：在第 M 月和第 M+1 月都活跃。\n"
        "- 还无法观察的格子显示为“暂无”，从不记作 0；合并比率只用完整的格子。",
    "no earlier period to compare with": "没有可比的上一期",
    "unchanged on the previous period": "环比持平",
    "up {pct} on the previous period": "环比上升 {pct}",
    "down {pct} on the previous period": "环比下降 {pct}",
    "no earlier period": "没有上一期",
    "highlighted period": "标注时段",
    "festival": "节日活动",
    "These days include the {name} ({span}): changes against the days before compare it with ordinary days.":
        "本期包含{name}（{span}）：与上一期的变化是拿{name}和平常日子比较。",
    "The days before include the {name} ({span}): falls against them are partly the {name} ending, not a "
    "decline.":
        "上一期包含{name}（{span}）：环比下降有一部分是{name}结束的结果，并不等于衰退。",
    "In {period}, {uv} members visited (UV), {change}; on an average day {dau} were active.":
        "{period}，共有 {uv} 名成员访问（UV），{change}；平均每天 {dau} 人活跃（日活）。",
    "{contributors} members contributed {contributions} posts, comments, shares and likes ({change}); the top "
    "10% of contributors made {top10} of them ({top10_change} on the previous period) and the top 1% {top1}.":
        "{contributors} 名成员贡献了 {contributions} 条发帖、评论、分享和点赞（{change}）；贡献最多的前 10% 成员"
        "贡献了其中的 {top10}（环比 {top10_change}），前 1% 贡献了 {top1}。",
    "{n} new members joined ({change}).": "新加入 {n} 名成员（{change}）。",
    "Against the same days a year earlier, UV changed by {change}.": "与去年同期相比，UV 同比变化 {change}。",
    "Of the {n} members active in the two weeks {span}, {rate} were active again in the following two weeks "
    "({change} on the two weeks before).":
        "在 {span} 这两周活跃的 {n} 名成员中，{rate} 在接下来的两周再次活跃（比上一个两周 {change}）。",
    "UV (distinct visitors)": "UV（访问成员数）",
    "active members": "活跃成员",
    "average DAU": "平均日活",
    "Average DAU": "平均日活",
    "contributions": "贡献",
    "Contributions": "贡献",
    "contributors": "贡献者",
    "Contributors": "贡献者",
    "contributions per contributor": "人均贡献",
    "new members": "新成员",
    "New members": "新成员",
    "share of contributions from the top 1%": "前 1% 成员的贡献占比",
    "share of contributions from the top 10%": "前 10% 成员的贡献占比",
    "Top-10% share of contributions": "前 10% 成员的贡献占比",
    "metric": "指标",
    "current": "本期",
    "previous period": "上一期",
    "change": "环比",
    "a year earlier": "去年同期",
    "change vs a year earlier": "同比",
    "{span} against the {n} days before it": "{span}，与之前 {n} 天相比（环比）",
    "{span} against the {n} days before it and the same days a year earlier":
        "{span}，与之前 {n} 天（环比）和去年同期（同比）相比",
    "Active members, last {weeks} weeks": "活跃成员，最近 {weeks} 周",
    "DAU": "日活",
    "WAU": "周活",
    "MAU": "月活",
    "members": "成员数",
    "Stickiness (DAU/MAU)": "粘性（日活/月活）",
    "Stickiness: monthly mean of daily DAU/MAU": "粘性：每月日活/月活的日均值",
    "month": "月份",
    "mean daily DAU/MAU": "日活/月活日均值",
    "days": "天数",
    "Contributions per week by type": "每周贡献，按类型",
    "posts": "发帖",
    "comments": "评论",
    "shares": "分享",
    "likes": "点赞",
    "Members who contributed, per day": "每天有贡献的成员数",
    "New-member retention by join {grain}": "新成员留存，按加入{grain}",
    "day": "日",
    "week": "周",
    "not yet": "未到",
    "day {k}": "第 {k} 天",
    "retained": "留存人数",
    "Retention curves by join month": "按加入月份的留存曲线",
    "days since joining": "加入后天数",
    "cohort": "同期群",
    "cohorts": "同期群数",
    "rate": "比例",
    "Pooled over complete daily cohorts (Σ retained / Σ cohort size)": "合并所有完整的日同期群（Σ留存 / Σ同期群人数）",
    "active on days": "活跃日",
    "Two-week (active on days 8-14) and monthly (days 24-30) retention of new members":
        "新成员次周留存（第 8–14 天活跃）和次月留存（第 24–30 天活跃）",
    "from": "开始",
    "to": "结束",
    "active": "活跃",
    "Two-week retention: active in a 14-day block and again in the next": "两周留存：在一个 14 天区间活跃、下一个区间再次活跃",
    "Monthly retention: active in a calendar month and again in the next (n/a until the next month has ended)":
        "月留存：在一个自然月活跃、下个月再次活跃（下个月结束前显示“暂无”）",
    "Weekly lifecycle": "每周成员生命周期",
    "new": "新增",
    "returning": "留存",
    "resurrecting": "回流",
    "dormant": "沉默",
    "week ending": "周结束日",
    "active the week before": "上周活跃",
    "Weekly lifecycle (weeks end on the report date)": "每周成员生命周期（每周以报告日期为结束）",
    "Average DAU by {breakdown}, {period}": "按{breakdown}的平均日活，{period}",
    "community": "社群",
    "channel": "渠道",
}
# fmt: on

ZH: dict[str, str] = {**_SITE, **_KPI}
