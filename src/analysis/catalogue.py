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
    "This week": "本周摘要",
    "Core members likely to leave": "可能流失的核心成员",
    "of {n} core members, in the next {h} days (95% interval {lo} to {hi})": "{n} 名核心成员中，未来 {h} 天内（95% 区间 {lo} 至 {hi}）",
    "change against the control arm": "相对对照组的变化",
    "change against control": "相对对照组的变化",
    "Spillover by community cannot be measured in this experiment: it needs communities with no one in a scheme beside communities where only some members are in one. A saturation design, which leaves some whole communities untreated and treats different shares of the others, measures what rewarding some members does to the rest.":
        "这个实验无法按社群衡量溢出效应：这需要既有完全没人参加方案的社群，又有只有部分成员参加方案的社群。饱和度设计（让一些社群完全不参加、其他社群按不同比例参加）才能衡量奖励一部分成员对其他成员的影响。",
    "Where {share} of a community's members were in a scheme, the others' {metric} changed by {s} against communities without one (95% interval {s_lo} to {s_hi}: {verdict}); members in the scheme differed from their untreated neighbours by {d} ({d_lo} to {d_hi}).":
        "在 {share} 的成员参加方案的社群里，未参加成员的{metric}相对没有方案的社群变化了 {s}（95% 区间 {s_lo} 至 {s_hi}：{verdict}）；参加方案的成员与同社群未参加的成员相差 {d}（{d_lo} 至 {d_hi}）。",
    "Through invitations: members outside the schemes whose inviter or invitee was in one differed in {metric} by {d} from those whose invite neighbours were not (randomisation test p = {p}: {verdict}).":
        "通过邀请关系：未参加方案、但邀请人或被邀请人参加了方案的成员，{metric}与邀请关系中无人参加方案的成员相差 {d}（随机化检验 p = {p}：{verdict}）。",
    "not in an experiment": "未参加实验",
    "spillover present": "有溢出效应", "no spillover detected": "未发现溢出效应", "spillover": "溢出效应",
    "direct": "直接效应", "total": "总效应",
    "share of the community in a scheme": "社群中参加方案的比例",
    "Direct effect (members in a scheme against their untreated neighbours), spillover (untreated members against communities without a scheme) and total, community-level intervals (CR2)":
        "直接效应（参加方案的成员对比同社群未参加的成员）、溢出效应（未参加的成员对比没有方案的社群）和总效应，社群层面的区间（CR2）",
    "## Does rewarding some members change what the others do?\n\nMembers talk to each other: a scheme can move the members left out of it (spillover). Measured by comparing untreated members of communities with a scheme against communities without one.":
        "## 奖励一部分成员会改变其他成员的行为吗？\n\n成员之间会互相影响：一个方案可能会影响没参加的成员（溢出效应）。衡量方法是把有方案的社群中未参加的成员与没有方案的社群相比。",
    "Members were randomised one by one (communities have members in more than one arm).": "实验按成员逐个随机分组（社群里的成员分在不止一个组）。",
    "Members were randomised one by one (as declared).": "实验按成员逐个随机分组（按声明）。",
    "Whole communities were randomised: {g} communities ({per_arm}); their split against the plan: p = {p}.":
        "实验按整个社群随机分组：共 {g} 个社群（{per_arm}）；社群分组与计划比例的检验：p = {p}。",
    "Members of one community resemble each other (intraclass correlation {icc} for {metric}), so the experiment holds far less evidence than its member count suggests (design effect {deff}). Every effect, verdict and daily view on this page uses community-level standard errors; the member-level analysis would overstate the evidence.":
        "同一社群的成员彼此相似（{metric}的组内相关系数 {icc}），所以实验包含的证据远少于成员人数看起来的那么多（设计效应 {deff}）。本页的每个效果、结论和每日跟踪都使用社群层面的标准误；按成员分析会夸大证据。",
    "The breakdowns by tier, week, type of activity and cost further down treat members as independent, so their intervals are too narrow here: read them as descriptions, not tests.":
        "下文按分层、周、活动类型和成本的拆分把成员视为相互独立，因此这里的区间偏窄：请把它们当作描述，而不是检验。",
    "Each primary result as it could have been read on each day": "每个主要指标在每一天看到的结果",
    "No member's metric window has ended yet, so there is nothing to watch so far.": "还没有成员的指标观察期结束，目前没有可看的结果。",
    "These intervals stay valid however often the results are looked at (always-valid confidence sequences): they are wider than the fixed-horizon intervals above, in exchange for being safe to watch every day.":
        "无论多频繁地查看结果，这些区间都保持有效（随时有效的置信序列）：它们比上面的固定期限区间更宽，换来的是每天查看也不会增加误判。",
    "The experiment reached its planned end on {day}: the verdict above, from the fixed-horizon test, is the one to act on.":
        "实验已于{day}到达计划结束日：请以上面固定期限检验得出的结论为准。",
    "The planned end is {day}, {n} days after the report date; until then the verdict above is provisional.":
        "计划结束日是{day}，距报告日期还有 {n} 天；在此之前，上面的结论只是暂时的。",
    "No primary result has settled yet: stopping now would mean deciding on noise.": "还没有主要指标得出确定结果：现在停止等于根据噪声做决定。",
    "rose": "上升", "fell": "下降",
    "Settled already, so safe to act on now: {items}.": "已经确定、现在就可以据此行动的结果：{items}。",
    "p-value, checked daily": "p 值（每日检查）",
    "## Watching it daily\n\nEach primary effect as it stood on every day on which members' metric windows ended.":
        "## 每日跟踪\n\n每个主要效果在每一天（有成员的指标观察期结束时）的情况。",
    "10% of members below": "10% 的成员低于", "median member": "中位成员", "10% of members above": "10% 的成员高于",
    "An effect is a difference of averages: members in the same arm differ far more than the arms do":
        "效果是平均值之差：同一组内成员之间的差异远大于组与组之间的差异",
    "distinct members who visited in the last {n} days": "最近 {n} 天访问过的不同成员数",
    "members active on an average day": "平均每天的活跃成员数",
    "posts, comments, shares and likes": "发帖、评论、分享和点赞",
    "members who joined": "新加入的成员",
    "Two-week retention": "两周留存",
    "of the members active in the two weeks to {day} came back the next two weeks": "截至{day}的两周内活跃的成员中，下两周再次活跃的比例",
    "{change} vs 4 weeks before": "比 4 周前 {change}",
    "{n} of them are at risk: active on fewer than half as many days as the two weeks before": "其中 {n} 人有流失风险：活跃天数不到之前两周的一半",
    "ship: {arms}": "建议上线：{arms}", "no scheme to ship yet": "还没有可以上线的方案",
    "reward farming in {arms}": "{arms}出现羊毛党信号", "Experiment {name}": "实验 {name}", "{n} schemes": "{n} 个方案",
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
    "members": "成员数", "communities": "社群数",
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

_CORE = {
    "## Is the core growing?": "## 核心在壮大吗？",
    "## How concentrated is contribution?\n\nThe Lorenz curve orders contributors from the fewest to the most contribution points; the further it bows below the diagonal, the more a few members carry the community.":
        "## 贡献有多集中？\n\n洛伦兹曲线把贡献者按贡献分从少到多排列；曲线越往对角线下方弯，社群就越依赖少数成员。",
    "## Core members by community, and the core at risk\n\nA core member is *at risk* when their active days in the last 14 days fell below half of the 14 days before. The list of members is written only to the run's restricted folder, never to this page.":
        "## 各社群的核心成员，以及有流失风险的核心成员\n\n核心成员最近 14 天的活跃天数不到之前 14 天的一半时，视为*有流失风险*。成员名单只写入本次运行的受限文件夹，从不出现在本页。",
    "## Connectors\n\nInvitations that brought in members who stayed: invitees active on day 30 after joining, by the inviter's tier.":
        "## 连接者\n\n带来留得住的新成员的邀请：被邀请人在加入后第 30 天仍活跃，按邀请人的分层统计。",
    "## Who grows the community\n\nInvitations: how many new members each member brings, whether invited members stay, and which tiers bring them.":
        "## 谁在让社群裂变\n\n邀请：每位成员带来多少新成员，被邀请的成员是否留下，以及哪些分层的成员在带人。",
    "## Definitions": "## 定义",
    "On {now} the core had {n_now} members, against {n_before} on {before}: it {trend}{pct}. {stayed} stayed core, {joined} rose into it and {left} dropped out. The top 10% of contributors made {top10} of the contribution score (Gini {gini}). {at_risk} core members are at risk: their active days in the last two weeks fell below half of the two weeks before.":
        "{now}核心成员有 {n_now} 人，{before}为 {n_before} 人：核心{trend}{pct}。{stayed} 人保持核心，{joined} 人新晋核心，{left} 人掉出核心。贡献最多的前 10% 成员贡献了 {top10} 的贡献分（基尼系数 {gini}）。{at_risk} 名核心成员有流失风险：他们最近两周的活跃天数不到之前两周的一半。",
    "grew": "壮大了", "shrank": "缩小了", "held steady": "保持稳定",
    "tier": "分层", "share": "占比", "share before": "之前占比", "members on {day}": "{day}成员数",
    "Tiers partition every member who had joined by the reference date": "分层覆盖参考日期前加入的每一位成员",
    "core": "核心", "novice": "新手", "lurker": "潜水", "not yet joined": "尚未加入",
    "tier before": "之前的分层", "tier after": "之后的分层", "share of row": "占该行比例",
    "Tier migration, {a} to {b}": "分层迁移，{a}至{b}", "Members by tier, weekly": "各分层成员数（每周）",
    "contributors (Gini {gini})": "贡献者（基尼系数 {gini}）", "equal shares": "完全平均",
    "contributors, fewest first": "贡献者（从少到多）", "share of contribution score": "贡献分占比",
    "Concentration of contribution": "贡献集中度",
    "Contributors in the window": "窗口内贡献者", "Top 1% share of score": "前 1% 的贡献分占比",
    "Top 10% share of score": "前 10% 的贡献分占比", "Gini": "基尼系数",
    "Core members by community": "各社群核心成员数", "core members": "核心成员", "at risk": "有流失风险",
    "share at risk": "有流失风险的占比",
    "inviters": "邀请人", "invitees": "被邀请人", "invitees with day 30 observed": "已观察到第 30 天的被邀请人",
    "retained at day 30": "第 30 天仍活跃", "inviters with a retained invitee": "有被邀请人留下的邀请人",
    "Each member brings {k} new members through invitations in their first {w} days (K-factor; 95% interval {lo} to {hi}), counted over the {n} members whose {w} days have passed. Counting everyone, including members still inside their first {w} days, would give {naive}.":
        "每位成员在加入后的前 {w} 天里通过邀请带来 {k} 名新成员（K 因子；95% 区间 {lo} 至 {hi}），只统计已满 {w} 天的 {n} 名成员。若把仍在前 {w} 天内的成员也算进去，会得到偏低的 {naive}。",
    " Of the invitations they sent, {pct} brought a member.": "他们发出的邀请中，{pct} 带来了新成员。",
    " Growth by invitation alone fades out: each generation is smaller than the one before.":
        "仅靠邀请的增长会逐渐衰减：每一代都比上一代小。",
    "Core members brought {invitees} of the invited members while being {members} of the members at the time ({ratio} times their share).":
        "核心成员带来了 {invitees} 的被邀请成员，而他们当时只占成员的 {members}（是其占比的 {ratio} 倍）。",
    "Invited members were active on day 30 after joining {a} of the time ({a_adj} with join months weighted alike), against {b} ({b_adj}) for members who came on their own.":
        "被邀请的成员在加入后第 30 天仍活跃的比例为 {a}（各加入月份同等加权后为 {a_adj}），自己加入的成员为 {b}（{b_adj}）。",
    "Members with a higher contribution score also keep more of the members they invite: rank correlation {rho} (95% interval {lo} to {hi}).":
        "贡献分越高的成员，邀请来的成员也留下得越多：等级相关系数 {rho}（95% 区间 {lo} 至 {hi}）。",
    "A member's contribution score says little about how many of their invitees stay (rank correlation {rho}, 95% interval {lo} to {hi}).":
        "成员的贡献分与其邀请来的成员能留下多少关系不大（等级相关系数 {rho}，95% 区间 {lo} 至 {hi}）。",
    "join month": "加入月份", "window passed": "已满窗口期", "invitations sent": "发出邀请",
    "invited members joined": "被邀请人加入数", "conversion": "转化率", "K-factor": "K 因子",
    "95% low": "95% 下限", "95% high": "95% 上限", "K counting everyone": "全员口径 K（偏低）",
    "K-factor by join month: invited members per member within {n} days of joining": "按加入月份的 K 因子：每位成员加入后 {n} 天内邀请来的成员数",
    "group": "分组", "active on day 30": "第 30 天活跃", "rate, join month adjusted": "比例（按加入月份调整）",
    "contributions in first 30 days": "前 30 天贡献",
    "Do invited members stay? By sign-up channel, and invited members by their inviter's tier": "被邀请的成员留下了吗？按注册渠道，以及按邀请人的分层",
    "invited": "被邀请", "not invited": "非邀请", "channel: {name}": "渠道：{name}", "invited by: {tier}": "邀请人：{tier}",
    "invited members brought": "带来的被邀请成员", "share of invited members": "占被邀请成员比例",
    "share of members": "占成员比例", "times their share": "相对占比倍数",
    "Which tiers bring the invited members (tier when inviting)": "哪些分层在带来新成员（邀请时的分层）",
    "cascades started": "发起的邀请链", "members in them": "链中成员数",
    "Who started the {n} largest invite cascades (tier when their first invited member joined)": "最大的 {n} 条邀请链由谁发起（第一位被邀请人加入时的分层）",
    "unknown": "未知",
    "Contribution score": "贡献分", "over the trailing {n} days, {weights}.": "最近 {n} 天内，{weights}。",
    "post": "发帖", "comment": "评论", "like": "点赞",
    "Core": "核心", "Active": "活跃", "Novice": "新手", "Lurker": "潜水",
    "among members with at least 1 contribution and at least {days} active days in the window, everyone scoring at least the score at rank ⌈{share} × n⌉ (the top {pct}); ties at the cut are all core.":
        "在窗口内至少有 1 次贡献且至少活跃 {days} 天的成员中，贡献分不低于第 ⌈{share} × n⌉ 名的所有人（前 {pct}）；分数并列的都算核心。",
    "other contributors, or {n}+ active days.": "其他有贡献的成员，或活跃 {n} 天以上。",
    "joined within the window and not core or active.": "在窗口内加入，且不是核心或活跃成员。",
    "active without contributing. Dormant: no activity in the window.": "活跃但没有贡献。沉默：窗口内没有任何活动。",
    "Migration": "迁移", "the same members' tiers at two reference dates; not yet joined are members who joined in between.":
        "同一批成员在两个参考日期的分层；“尚未加入”指在两个日期之间加入的成员。",
    "Invite window": "邀请窗口",
    "a member's join day and the {n} days after it; invitations sent and invited members who joined count inside it.":
        "成员加入当天及之后的 {n} 天；在此期间发出的邀请和加入的被邀请人计入。",
    "invited members who joined per member, over members who joined inside the data and whose {w} days have passed (members still inside their window have not finished inviting).":
        "每位成员带来的已加入被邀请人数，只统计在数据期间加入且已满 {w} 天的成员（仍在窗口期内的成员还没有邀请完）。",
    "Invite cascade": "邀请链",
    "a member who was not invited and everyone invited by them, directly or down the chain; structural virality is the average number of invitation steps between two of its members (1 to 2 for a broadcast, higher for a chain of person-to-person invitations).":
        "一位非被邀请的成员，以及由其直接或层层邀请来的所有人；结构传播度是链中任意两名成员之间的平均邀请步数（广播式为 1 到 2，人传人的链条更高）。",
    "Tier when inviting": "邀请时的分层",
    "the inviter's tier on the day before the month in which the invited member joined (unknown in the data's first month and for joins before the data).":
        "被邀请人加入当月之前一天邀请人的分层（数据第一个月及数据开始前加入的为未知）。",
    "Retained at day 30": "第 30 天留存",
    "active on the {d}th local day after joining; only members whose day {d} has passed count. Adjusted rates weight every join month as among all members.":
        "加入后第 {d} 个自然日活跃；只统计第 {d} 天已过的成员。调整后的比例按全体成员的加入月份分布加权。",
}

_CHURN = {
    "## What we found": "## 我们的发现",
    "## Who stays": "## 谁留下来了",
    "## What predicts churn\n\nA Cox model of the hazard of churning after the landmark. A hazard ratio below 1 means members churn less in any given week than the reference group.":
        "## 什么预示着流失\n\n用 Cox 模型估计界标日之后的流失速度。相对流失率（风险比）低于 1 表示该组成员在任意一周的流失都比参照组少。",
    "## Restricted mean lifetime": "## 平均留存天数",
    "## Do churned members come back, and does the threshold matter?": "## 流失的成员会回来吗？流失门槛的取值有影响吗？",
    "## Who may churn next\n\nFor members who have not churned, the chance of churning within the horizon given how long they have stayed, from the survival curve of their sign-up channel. Member lists are in the run's restricted folder only.":
        "## 接下来谁可能流失\n\n对尚未流失的成员，根据其注册渠道的生存曲线和已留存的时长，估计在预测期内流失的概率。成员名单只在本次运行的受限文件夹中。",
    "How this was measured: a member churns at their last active day before {d} inactive days in a row. That is only visible {d} days later, so follow-up ends on {cutoff} for everyone.":
        "计算方法：成员在连续 {d} 天不活跃之前的最后一个活跃日流失。这要 {d} 天后才能看到，所以所有人的观察都截止到{cutoff}。",
    "Tier, channel and activity are measured in each member's first {n} days and the clock starts after them, so that survival time is never credited to activity that came later.":
        "分层、渠道和活跃度都取自每位成员加入后的前 {n} 天，计时从那之后开始，这样留存时间不会被算到之后才发生的活动头上。",
    "Left out: {late} members who joined after the cutoff and {early} who churned or were censored before day {n}.":
        "未纳入：截止日之后加入的 {late} 名成员，以及在第 {n} 天之前已流失或观察截止的 {early} 名成员。",
    "{n} members who joined before the activity log began are left out.": "活动日志开始前加入的 {n} 名成员未纳入。",
    "{n} members joined before the activity log began; those active in its first {d} days enter the curves late, at the log's first day. Their first {lm} days are not in the log, so {unknown} of them have no tier at the landmark: they are in the overall curve but not in the tier groups or the Cox model.":
        "{n} 名成员在活动日志开始前加入；其中在日志前 {d} 天活跃的人从日志第一天起延迟进入曲线。他们的前 {lm} 天不在日志中，所以其中 {unknown} 人在界标日没有分层：他们计入总体曲线，但不计入分层分组和 Cox 模型。",
    "The model leaves out {n} members whose characteristics are unknown.": "模型未纳入特征未知的 {n} 名成员。",
    "{variable}: {level}": "{variable}：{level}",
    "tier in the first weeks": "前几周的分层", "sign-up channel": "注册渠道", "arm": "实验组",
    "Relative churn rates (hazard ratios from a Cox model), {members} members, {events} churned; compared with: {refs}; the model ranks who churns first correctly {c} of the time (concordance)":
        "相对流失率（Cox 模型的风险比），{members} 名成员，{events} 人流失；参照组：{refs}；模型判断谁先流失的正确率为 {c}（一致性指数）",
    "none": "无",
    "Average days retained: no groups to compare": "平均留存天数：没有可比较的分组",
    " (asked for {asked}; lowered to the shortest follow-up among the groups, so no curve is extrapolated)":
        "（原设为 {asked}；已降到各组中最短的观察期，避免外推曲线）",
    "Average days without churning within the first {tau} days after the landmark{cut} (RMST), and the difference to {ref}":
        "界标日后前 {tau} 天内平均未流失的天数{cut}（RMST），以及与{ref}的差值",
    "Churn": "流失", "the last active day before a run of {d} inactive days; the join day counts as active.":
        "连续 {d} 天不活跃之前的最后一个活跃日；加入当天算作活跃。",
    "Censoring": "观察截止（删失）",
    "members not churned by {d} days before the report date are counted as still staying up to there (stopping at their last active day or at the report date would overstate survival).":
        "在报告日期前 {d} 天仍未流失的成员，按留存到那一天计算（截止到最后活跃日或报告日期都会高估留存）。",
    "Landmark": "界标日",
    "characteristics from the first {n} days after joining; members churned or censored before it are left out; time counts from it.":
        "特征取自加入后的前 {n} 天；在此之前流失或观察截止的成员不纳入；时间从这一天开始计。",
    "Tier in the first weeks": "前几周的分层",
    "the tier rules applied to those first days (core = top {pct} of eligible contributors pooled over all members at their landmark; no novice tier).":
        "把分层规则用于这最初几天（核心 = 所有成员在各自界标日合并计算的前 {pct} 合格贡献者；不设新手层）。",
    "Left truncation": "左截断",
    "members who joined before the log are left out (exclude) or enter late at the log's first day (entry), at risk only after that day.":
        "日志开始前加入的成员要么不纳入（exclude），要么从日志第一天起延迟进入（entry），只从那一天起计入风险集。",
    "Relative churn rate (hazard ratio)": "相对流失率（风险比）",
    "how fast a group churns in any given week compared with the reference group: 0.5 is half as fast, 2 twice as fast.":
        "某组在任意一周的流失速度与参照组之比：0.5 表示一半快，2 表示两倍快。",
    "Average days retained (RMST)": "平均留存天数（RMST）",
    "the area under the survival curve up to τ days: the average number of days, out of the first τ, that a member stays; τ is at most the shortest of the groups' longest follow-up.":
        "生存曲线在前 τ 天下的面积：成员在前 τ 天中平均留存的天数；τ 不超过各组最长观察期中最短的那个。",
    "Current tiers (risk table)": "当前分层（风险表）", "the tier rules below, at the report date.": "下列分层规则，按报告日期计算。",
    "{pct} less likely": "低 {pct}", "{pct} more likely": "高 {pct}",
    "half of them had churned {n} days after it": "一半的人在那之后 {n} 天内流失",
    "fewer than half had churned by the end of follow-up": "到观察期结束时流失的不到一半",
    "{pct} had not churned {d} days later": "{pct} 在 {d} 天后仍未流失",
    "{days} days later is not yet observable: follow-up after the landmark reaches only {n} days so far":
        "{days} 天后的情况还无法观察：界标日之后的观察期目前只有 {n} 天",
    "Of {n} members still around {d} days after joining, {said}; {median}.": "加入 {d} 天后仍在的 {n} 名成员中，{said}；{median}。",
    "{level} members are {change} to churn in any given week": "{level}成员在任意一周流失的可能性{change}",
    "Compared with {ref} ({variable}), ": "与{ref}（{variable}）相比，", "; ": "；", ".": "。",
    "{pct} of the members who churned were active again later: churn by inactivity is not always final.":
        "流失的成员中有 {pct} 后来又活跃了：按不活跃判定的流失并不总是最终的。",
    "churned": "已流失", "median days (95% CI)": "中位天数（95% 置信区间）", "not reached": "未达到",
    "not churned at {d} days": "第 {d} 天未流失", "all": "全体",
    "Share not yet churned, days after the landmark, by {group}": "尚未流失的比例（界标日后天数），按{group}",
    "days since the landmark": "界标日后天数", "members at risk": "风险集人数",
    "Median lifetime after the landmark and the share not churned at 30, 60 and 90 days, with 95% CIs":
        "界标日后的中位留存时长，以及第 30、60、90 天未流失的比例（含 95% 置信区间）",
    "Do the groups differ? Log-rank test across groups: chi-square {chi2} on {df} degrees of freedom, p {p}.":
        "各组之间有差异吗？对数秩检验：卡方 {chi2}，自由度 {df}，p {p}。",
    "against": "对比", "chi-square": "卡方", "p-value": "p 值", "p (Holm-adjusted)": "p（Holm 校正）",
    "Pairwise log-rank tests, Holm-adjusted": "两两对数秩检验（Holm 校正）",
    "Relative churn rates (95% CI)": "相对流失率（95% 置信区间）",
    "relative churn rate (hazard ratio; below 1: churns less)": "相对流失率（风险比；低于 1：流失更少）",
    "relative churn rate": "相对流失率",
    "Relative churn rate by follow-up period (flat = the same all along)": "各观察阶段的相对流失率（持平 = 始终一致）",
    "days {a}-{b}": "第 {a}–{b} 天",
    "relative rate, first period": "第一阶段相对流失率", "relative rate, last period": "最后阶段相对流失率",
    "ratio (1 = the same all along)": "比值（1 = 始终一致）",
    "Does the difference hold over time? With many members every test fails, so read the ratios":
        "差异随时间保持吗？成员很多时任何检验都会显著，所以请看比值",
    "average days retained": "平均留存天数", "standard error": "标准误", "difference": "差值",
    "difference, 95% low": "差值 95% 下限", "difference, 95% high": "差值 95% 上限",
    "came back": "已回流", "Share of churned members active again later": "流失成员之后再次活跃的比例",
    "How the churn threshold changes the answer": "流失门槛如何改变结论",
    "not churned at 30 days": "第 30 天未流失", "at 60 days": "第 60 天", "at 90 days": "第 90 天",
    "churned who came back": "流失后回流", "churn = this many inactive days": "流失 = 连续不活跃的天数",
    "inactive days that make a churn": "判定流失的不活跃天数", "median days": "中位天数",
    "The same analysis with churn at 14, 30, 60 and 90 inactive days": "流失门槛为 14、30、60、90 天时的同一分析",
    "mean risk, next {n} days": "未来 {n} 天平均风险", "members above 50%": "风险高于 50% 的成员",
    "not estimable (beyond follow-up)": "无法估计（超出观察期）",
    "Share of members not yet churned": "尚未流失的成员比例",
    "## Who is about to leave\n\nFor every member active in the last churn days, the probability of churning within the horizon, from what is known about them today: how recently and how often they were active, what they contributed, their tier, sign-up channel, community and experiment arm. Member lists are in the run's restricted folder only.":
        "## 谁快要离开了\n\n对最近（流失门槛天数内）活跃过的每位成员，根据今天已知的信息——最近一次和最近一段时间的活跃情况、贡献、分层、注册渠道、社群和实验分组——估计其在预测期内流失的概率。成员名单只在本次运行的受限文件夹中。",
    "Of the {n} members active in the last {d} days, about {e} are expected to churn in the next {h} days (95% interval {lo} to {hi}).":
        "最近 {d} 天活跃的 {n} 名成员中，预计约 {e} 人会在未来 {h} 天内流失（95% 区间 {lo} 至 {hi}）。",
    "Among the {n} core members, about {e} (95% interval {lo} to {hi}); the list, riskiest first, with reasons, is in the run's restricted folder.":
        "其中 {n} 名核心成员中约 {e} 人（95% 区间 {lo} 至 {hi}）；按风险从高到低、附原因的名单在本次运行的受限文件夹中。",
    "Checked on the past: fitted with data up to {day} and compared with what happened by the report date, the risks were right on average (calibration slope {slope}, where 1 is exact; off by {ici} points on average), and the 10% of members it ranked riskiest held {cap} of those who churned, against {cap_r} when ranking by days since last active alone.":
        "用历史数据检验：只用截至{day}的数据建模，再与截至报告日期实际发生的情况对比，风险估计总体准确（校准斜率 {slope}，1 为完全准确；平均偏差 {ici} 个百分点）；模型排出的风险最高的 10% 成员包含了 {cap} 的流失者，只按“距上次活跃天数”排序时为 {cap_r}。",
    "Churn risk needs a log that starts by {day} (the model learns from members followed for {h} days, plus {d} days to see who churned); this log starts on {start}.":
        "流失风险需要从{day}或更早开始的数据（模型要从被跟踪 {h} 天的成员中学习，再加 {d} 天才能看出谁流失了）；这份数据从{start}开始。",
    "These risks are not yet checked on the past: the backtest needs a log that starts by {day}, and this one starts on {start}.":
        "这些风险还没有用历史数据检验：回测需要从{day}或更早开始的数据，这份数据从{start}开始。",
    "Expected leavers in the next {n} days by tier and community, core members first": "未来 {n} 天预计流失人数，按分层和社群，核心成员在前",
    "tier": "分层", "expected to leave": "预计流失", "mean risk": "平均风险",
    "Predicted against actual churn, backtest": "预测与实际流失对比（回测）",
    "predicted = actual": "预测 = 实际", "groups of members by predicted risk": "按预测风险分组的成员",
    "predicted risk of churning": "预测流失风险", "share that churned": "实际流失比例",
    "Backtest: fitted on data up to {day}, scored on what happened by the report date": "回测：用截至{day}的数据建模，按截至报告日期的实际情况评分",
    "model": "模型", "AUC": "AUC（区分度）", "calibration slope": "校准斜率", "calibration intercept": "校准截距",
    "ICI": "ICI（平均校准误差）", "Brier score": "Brier 分数", "churners in the riskiest 10%": "风险最高 10% 中的流失者占比",
    "risk model": "风险模型", "days since last active only": "仅用距上次活跃天数",
    "What drives the risk: odds of leaving within the horizon, a high value of each measure against a low one (90th against 10th percentile), and each group against the most common one":
        "什么推高了风险：预测期内离开的几率之比——每项指标的高值对低值（第 90 对第 10 百分位），以及每个分组对最常见的分组",
    "compared": "比较", "times the odds of leaving": "离开几率的倍数", "{feature}: {high} against {low}": "{feature}：{high} 对 {low}",
    "days since last active": "距上次活跃天数", "active days in the last 7 days": "最近 7 天活跃天数",
    "active days in the last 28 days": "最近 28 天活跃天数", "active days in the last 56 days": "最近 56 天活跃天数",
    "posts in the last 28 days": "最近 28 天发帖", "comments in the last 28 days": "最近 28 天评论",
    "shares in the last 28 days": "最近 28 天分享", "likes in the last 28 days": "最近 28 天点赞",
    "check-ins in the last 28 days": "最近 28 天签到", "visits in the last 28 days": "最近 28 天访问",
    "members invited": "邀请的成员数", "follow-up ends": "观察截止日",
    "probability alive (BG/NBD)": "存活概率（BG/NBD）",
    "A probability-alive model (BG/NBD), which needs no churn rule, ranks members less well than the risk model here (AUC {bg} against {auc}; 0.5 is chance, 1 is perfect).":
        "不依赖流失规则的存活概率模型（BG/NBD）在这里对成员的排序不如风险模型（AUC {bg} 对 {auc}；0.5 为随机，1 为完美）。",
    "A probability-alive model (BG/NBD), which needs no churn rule, ranks members as well as the risk model or better here (AUC {bg} against {auc}).":
        "不依赖流失规则的存活概率模型（BG/NBD）在这里对成员的排序不比风险模型差（AUC {bg} 对 {auc}）。",
    ". This table counts from joining, over every member; the curves above count from day {lm} after joining, over the members still there then, so their share not churned at 30 days differs: {here} here, {there} there.":
        "。本表从加入当天算起，覆盖全部成员；上面的曲线从加入后第 {lm} 天算起，只覆盖那时仍在的成员，所以第 30 天未流失的比例不同：这里是 {here}，那里是 {there}。",
    "Tier migration": "分层迁移",
    "New-member retention by cohort": "新成员留存，按同期群",
    "Effect by tier": "按分层的效果",
}

_EXPERIMENT = {
    "## Verdict": "## 结论",
    "## Can the results be trusted?\n\nChecked before any effect: the split against the plan (sample-ratio mismatch, flagged at p < 0.001), balance of the pre-period, and how small an effect the test could detect.":
        "## 结果可信吗？\n\n在看任何效果之前先检查：分流是否符合计划（样本比例失衡检查，p < 0.001 时报警）、实验前各组是否相当，以及这个实验能检测到多小的效果。",
    "## Effects\n\nEach scheme against the control arm: CUPED-adjusted estimates (the pre-period version of each metric removes noise), with Holm-adjusted p-values for the primary metrics and Benjamini-Hochberg for the rest. Every section of this page uses the same CUPED estimate.":
        "## 效果\n\n每个方案与对照组比较：用实验前同一指标做调整（CUPED，去除噪声），主要指标的 p 值用 Holm 校正，其余用 Benjamini-Hochberg 校正。本页各部分都使用同一个调整后的估计。",
    "## What does each scheme do to core members?\n\nEffects by the tier members were in before the experiment, and a test of whether the effect differs across tiers.":
        "## 每个方案对核心成员有什么影响？\n\n按成员在实验前所处的分层看效果，并检验效果在各分层之间是否不同。",
    "## Novelty, composition and cost\n\nThe same CUPED-adjusted comparison as the effects above, week by week, by type of activity, and per unit of reward cost.":
        "## 新鲜感、构成与成本\n\n与上面相同的调整后比较，按周、按活动类型以及按每单位奖励成本来看。",
    "{arm}: {decision}. {reason}.": "{arm}：{decision}。{reason}。",
    "SHIP": "建议上线", "DON'T SHIP": "不建议上线", "INCONCLUSIVE": "尚无定论",
    "the traffic split does not match the plan (split check), so no effect can be trusted": "分流与计划不符（分流检查），任何效果都不可信",
    "it lowers {metric} by {lift} (adjusted p {p})": "它使{metric}下降了 {lift}（校正后 p {p}）",
    "core members' {metric} falls by {lift} even though the average looks fine": "虽然整体平均看起来没问题，核心成员的{metric}下降了 {lift}",
    "every primary metric improved: {moves}": "所有主要指标都提升了：{moves}",
    "{metric} improved ({lift}) but the other primary metrics did not move clearly": "{metric}提升了（{lift}），但其他主要指标没有明显变化",
    "no primary metric moved beyond chance": "没有主要指标的变化超出随机波动",
    "No metric moved beyond chance.": "没有指标的变化超出随机波动。",
    "What moved beyond chance: {moves}.": "超出随机波动的变化：{moves}。",
    "The test could reliably see changes of {parts} (80% power); smaller ones may have gone unseen.":
        "这个实验能可靠地检测到{parts}的变化（80% 检验力）；更小的变化可能没被发现。",
    "{size} in {metric}": "{metric} {size}",
    "Experiment {name}: {n} members assigned to one arm, {multi} left out because they were assigned to more than one. Every scheme is compared with the control arm, {control}. Metrics count the {d} days after each member's assignment; tiers are as of {tier_day}, the day before the first assignment.":
        "实验 {name}：{n} 名成员被分到一个组，{multi} 名因被分到多个组而未纳入。每个方案都与对照组 {control} 比较。指标统计每位成员分组后的 {d} 天；分层按{tier_day}（第一次分组的前一天）计算。",
    "the planned split": "计划的分流比例", "equal shares, because the data carry no planned split (no arms table)": "均分（数据中没有计划的分流比例，即没有 arms 表）",
    "FLAGGED, effects below are not reliable": "已报警，下方的效果不可靠", "none detected": "未发现",
    "Split check (sample-ratio mismatch) against {against}: {verdict}": "分流检查（样本比例失衡），对照{against}：{verdict}",
    "Split by pre-assignment tier: mismatch in {tiers}.": "按实验前分层的分流检查：{tiers}不符。",
    "Split by pre-assignment tier: no tier shows a mismatch.": "按实验前分层的分流检查：各分层都没有失衡。",
    "experiment": "实验", "planned share": "计划占比", "actual share": "实际占比",
    "metric before assignment": "分组前的指标", "control mean": "对照组均值", "mean": "均值", "threshold": "阈值",
    "Were the arms alike before the experiment? (Welch, Bonferroni threshold)": "实验前各组相当吗？（Welch 检验，Bonferroni 阈值）",
    "method": "方法", "standard error": "标准误", "smallest detectable effect (80% power)": "最小可检测效果（80% 检验力）",
    "relative": "相对值", "underpowered": "检验力不足", "absolute": "绝对值", "scale": "尺度",
    "terms tested": "检验项数",
    "Minimum detectable effects of the primary metrics": "主要指标的最小可检测效果",
    "Effects against control (95% CI, relative)": "相对对照组的效果（95% 置信区间，相对值）",
    "effect": "效果", "lift": "提升", "adjusted p": "校正后 p", "adjusted low": "校正后下限", "adjusted high": "校正后上限",
    "family": "指标类别", "primary": "主要指标", "secondary": "次要指标", "raw": "未调整", "cuped": "调整后（CUPED）",
    "Effect on {metric} by pre-assignment tier": "按实验前分层的{metric}效果",
    "tier before the experiment": "实验前分层",
    "difference from control, per member": "与对照组的差（每人）",
    "difference from control, share retained": "与对照组的差（留存比例）",
    "F statistic": "F 统计量", "Does the effect on {metric} differ by tier? (interaction test)": "{metric}的效果在各分层之间不同吗？（交互检验）",
    "Churn after assignment ({d} quiet days), relative churn rate against the control arm, overall and by tier":
        "分组后的流失（连续 {d} 天不活跃），相对对照组的流失率，整体及按分层",
    "Effect on contributions by week since assignment": "分组后各周对贡献的效果",
    "week {n}": "第 {n} 周", "extra contributions per member": "每人额外贡献",
    "Where the extra activity comes from (per member, against the control arm, CUPED-adjusted)": "额外的活动来自哪里（每人，相对对照组，已调整）",
    "type": "类型", "extra per member": "每人增量",
    "Cost per incremental contribution, in {currency} (n/a: no cost, or no increase)": "每增加一次贡献的成本，单位 {currency}（暂无：没有成本或没有增加）",
    "reward cost per member ({currency})": "每人奖励成本（{currency}）", "cost per extra contribution ({currency})": "每次增量贡献成本（{currency}）",
    "Window": "统计窗口", "events in the {d} days from each member's assignment; the pre-period is the {d} days before assignment.":
        "每位成员分组后 {d} 天内的事件；实验前时段是分组前的 {d} 天。",
    "Control arm": "对照组", "{control} (from the arms table's is_control, or the arm named control without one).":
        "{control}（取自 arms 表的 is_control；没有该表时取名为 control 的组）。",
    "Retained at day 14 / 30": "第 14 / 30 天留存",
    "active on a local day 8-14 / 24-30 after the assignment day (day 0); counted only when that day has passed.":
        "在分组日（第 0 天）后的第 8–14 / 24–30 个自然日活跃；只有那些日子已过才计入。",
    "Effect": "效果", "the scheme's mean minus the control arm's mean (Welch t-test); the lift divides by the control mean.":
        "方案组均值减对照组均值（Welch t 检验）；提升 = 差值除以对照组均值。",
    "Adjusted for pre-period activity (CUPED)": "按实验前活跃度调整（CUPED）",
    "each member's metric minus a multiple of the same metric before assignment, which removes noise without moving the effect; the novelty, composition and cost sections use the same estimate.":
        "每位成员的指标减去其分组前同一指标的一个倍数，去除噪声而不改变效果；新鲜感、构成和成本部分使用同一估计。",
    "Split check (SRM)": "分流检查（SRM）",
    "whether the arms got the share of members the plan gave them; a mismatch (p < 0.001) means assignment went wrong and no effect can be trusted.":
        "各组是否得到计划分配的成员比例；不符（p < 0.001）说明分组出了问题，任何效果都不可信。",
    "Adjusted p-value": "校正后 p 值",
    "a p-value corrected for looking at several metrics at once (Holm for the primary metrics, Benjamini-Hochberg for the rest); the adjusted interval matches it.":
        "同时看多个指标时校正过的 p 值（主要指标用 Holm，其余用 Benjamini-Hochberg）；校正后的区间与之对应。",
    "Multiple exposure": "多次分组",
    "members assigned to more than one arm are left out. Capped contributions cap each member at the 99.9th percentile of non-zero values.":
        "被分到多个组的成员不纳入。封顶贡献把每人的贡献封顶在非零值的第 99.9 百分位。",
    "Pre-assignment tiers": "实验前分层", "the tier rules below, at the day before the first assignment.": "下列分层规则，按第一次分组的前一天计算。",
    "contributions_capped": "封顶贡献", "contribution_score": "贡献分", "contributor": "有贡献", "active_days": "活跃天数",
    "visits": "访问次数", "checkins": "签到", "retained_d14": "第 14 天留存", "retained_d30": "第 30 天留存",
    "pre_contributions": "实验前贡献", "pre_checkins": "实验前签到", "pre_active_days": "实验前活跃天数", "pre_visits": "实验前访问",
    "checkin": "签到", "visit": "访问", "invite": "邀请",
    "Reward farming: the extra activity is check-ins and likes ({low} per member against the control arm), not posts, comments and shares ({high}). The reward bought low-effort activity.":
        "羊毛党信号：多出来的活动是签到和点赞（相对对照组每人 {low}），而不是发帖、评论和分享（{high}）。奖励买来的是低投入的活动。",
    "Where the extra activity came from: posts, comments and shares {high} per member, check-ins and likes {low}, against the control arm.":
        "多出来的活动来自：发帖、评论和分享每人 {high}，签到和点赞每人 {low}（相对对照组）。",
    "Core members left faster: their relative churn rate was {hr} (95% interval {lo} to {hi}).":
        "核心成员流失得更快：相对流失率为 {hr}（95% 区间 {lo} 至 {hi}）。",
    "Core members stayed longer: their relative churn rate was {hr} (95% interval {lo} to {hi}).":
        "核心成员留得更久：相对流失率为 {hr}（95% 区间 {lo} 至 {hi}）。",
    "Whether core members stayed or left cannot be told from this test: with {n} core members in the comparison their relative churn rate is {hr}, anywhere from {lo} to {hi} (95% interval).":
        "这个实验无法判断核心成员是留下还是离开：比较中只有 {n} 名核心成员，相对流失率为 {hr}，可能在 {lo} 到 {hi} 之间（95% 区间）。",
    "contributions (capped)": "贡献（封顶）", "contribution score": "贡献分", "active days": "活跃天数",
    "check-ins": "签到", "retained at day 14": "第 14 天留存", "retained at day 30": "第 30 天留存",
    "contributions before assignment": "分组前贡献", "check-ins before assignment": "分组前签到",
    "active days before assignment": "分组前活跃天数", "visits before assignment": "分组前访问次数",
    "The scheme paid no rewards.": "这个方案没有发放奖励。",
    "It paid {paid} per member: {cost} per extra contribution (95% interval {lo} to {hi}).":
        "人均奖励成本 {paid}：每多一次贡献花费 {cost}（95% 区间 {lo} 至 {hi}）。",
    "It paid {paid} per member: {cost} per extra contribution, but the extra contributions are within chance, so the true cost per extra contribution may be far higher.":
        "人均奖励成本 {paid}：按点估计每多一次贡献花费 {cost}，但增加的贡献在随机波动范围内，真实成本可能高得多。",
    "It paid {paid} per member without adding contributions.": "人均奖励成本 {paid}，但没有带来更多贡献。",
    "There were too few core members in this scheme to say what it did to them.": "这个方案中的核心成员太少，无法判断它对核心成员的影响。",
}
# fmt: on

ZH: dict[str, str] = {**_SITE, **_KPI, **_CORE, **_CHURN, **_EXPERIMENT}
