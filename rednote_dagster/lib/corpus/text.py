"""Note and comment text that carries the planted topic, sentiment, emotion, stance and stage
markers in its words.

A text is composed from independent slot lists - opening, topic clause (topic vocabulary), detail,
sentiment clause (one of five intensity levels, lexicon words such as love / hate, 喜欢 / 讨厌),
closing, emoji, RedNote markers and hashtags - in English and Chinese, plus noise (typos,
lower-casing, a passing mention of another topic). Topic clauses avoid sentiment words so that a
neutral note reads neutral. There is no sarcasm: the sentiment clause always means what it says.
Comments carry their emotion in the sentiment phrase itself (anger / contempt / pride / praise /
joy / curiosity / neutral at the planted level), their stance in a clause of its own, and the
stage markers (猫税, 对账, 李华) in phrases of their own; see the banks below.
"""

from __future__ import annotations

import random
import re


def _lines(block: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


SLOTS: dict[str, tuple[str, ...]] = {
    "us_city": ("Columbus", "Houston", "Chicago", "Phoenix", "Atlanta", "Denver", "Seattle", "Miami", "Detroit",
                "Boise", "Tulsa", "Portland"),
    "us_state": ("Ohio", "Texas", "Florida", "Georgia", "Oregon", "Michigan", "Arizona", "Kansas", "Iowa", "Maine"),
    "cn_city": ("Chengdu", "Shanghai", "Beijing", "Guangzhou", "Chongqing", "Hangzhou", "Xi'an", "Wuhan", "Shenzhen", "Harbin"),
    "dish": ("mapo tofu", "dumplings", "hot pot", "tomato and egg stir fry", "scallion pancakes", "beef noodle soup",
             "congee", "fried rice", "baozi", "kung pao chicken"),
    "snack": ("spicy latiao", "White Rabbit candy", "mooncakes", "shrimp chips", "milk tea", "haw flakes"),
    "store": ("Walmart", "Costco", "Trader Joe's", "the Asian market", "Target", "Kroger"),
    "item": ("thrifted jeans", "a vintage jacket", "cowboy boots", "a hanfu top", "my favorite hoodie", "a new scarf"),
    "meal": ("breakfast", "school lunch", "dinner", "street food", "fast food"),
    "phrase": ("good morning", "thank you", "I am American", "nice to meet you", "cat", "delicious"),
    "zh_word": ("加油", "绝绝子", "yyds", "谢谢", "猫税", "牛"),
    "resource": ("Duolingo", "a textbook", "RedNote comments", "YouTube videos", "flash cards", "my new friends here"),
    "stereotype": ("eat burgers every day", "own guns", "live like in the movies", "drive everywhere", "never cook"),
    "amount": ("$3,000", "$12,000", "$800", "$45,000", "$1,200"),
    "company": ("a warehouse", "the auto plant", "a hospital", "a coffee chain", "the port"),
    "product": ("candles", "earrings", "lip gloss", "phone cases", "hoodies", "stickers", "soap", "hair clips"),
    "discount": ("10%", "15%", "20%", "30%"),
    "promo": ("REDNOTE10", "REFUGEE15", "HELLO20", "CATTAX"),
    "job": ("nurse", "teacher", "truck driver", "barista", "mechanic", "student", "single mom", "electrician",
            "cashier", "graphic designer"),
    "family_member": ("mom", "dad", "grandma", "little brother", "daughter", "husband", "best friend"),
    "life_event": ("a new job", "moving apartments", "a breakup", "finals week", "a long winter", "night shifts"),
    "art_subject": ("my cat", "a mountain lake", "a koi fish", "the city at night", "a dragon", "sunflowers",
                    "a portrait of my friend"),
    "n": ("2", "3", "4", "5", "7", "10", "12"),
    "ban_day": ("Sunday", "January 19", "the 19th", "this weekend"),
    "hour": ("10 pm", "midnight", "9 pm", "10:30 pm"),
    "art_medium": ("watercolor", "oil paint", "pencil", "procreate", "acrylic"),
    "zh_dish": ("火锅", "饺子", "麻婆豆腐", "番茄炒蛋", "小笼包", "兰州拉面"),
    "zh_city": ("成都", "上海", "北京", "广州", "重庆", "杭州", "西安", "武汉"),
    "zh_item": ("口红", "手链", "卫衣", "香薰蜡烛", "贴纸"),
    "zh_state": ("加州", "德州", "佛罗里达", "俄亥俄", "纽约", "密歇根"),
}

EN_TOPIC: dict[str, tuple[str, ...]] = {
    "1a": _lines("""
        TikTok is going dark on {ban_day} because of the ban
        the Supreme Court ruling on the TikTok ban came out today
        Congress passed the law that bans TikTok unless it is sold
        my TikTok app stopped loading at {hour} last night
        the TikTok ban was scheduled for January 19
        everyone is talking about the TikTok ban and what happens next
        the government says TikTok will be shut down in the US
        the ban on TikTok is the reason I downloaded this app
        TikTok came back online after about 12 hours
        I deleted TikTok before the ban deadline
    """),
    "1b": _lines("""
        I am still figuring out how RedNote works
        the RedNote app is mostly in Chinese so I use the translate button
        day {n} on Xiaohongshu and I finally found the search bar
        how do you turn on the translation feature on RedNote
        I switched the app language settings to English
        learning how the RedNote feed decides what to show
        I made my first RedNote account today
        the RedNote layout is different from TikTok
        trying to find where the live streams are on this app
        setting up my RedNote profile and bio
    """),
    "2a": _lines("""
        I started learning Mandarin with {resource}
        can someone teach me how to say {phrase} in Chinese
        a Chinese user here taught me the word {zh_word}
        trading English lessons for Chinese lessons with people here
        practicing my Chinese tones every night
        I learned what nihao and xiexie mean
        explaining American slang to Chinese users in the comments
        comparing Chinese New Year traditions with American holidays
        my first time writing Chinese characters by hand
        Chinese users are helping me with pinyin
    """),
    "2b": _lines("""
        as an American I was told China looked very different
        what I was taught about China in school versus what I see here
        Chinese users asked me if all Americans {stereotype}
        the stereotypes about Americans that I keep hearing
        comparing daily life in {us_city} with life in {cn_city}
        people here asked what a typical American looks like
        what being American means to people outside the US
        US news coverage of China versus what people post here
        answering questions about American culture and identity
        the image of China in American news
    """),
    "2c": _lines("""
        I tried making {dish} at home
        my grocery haul from {store}
        what I eat in a day as an American
        my outfit for today with {item}
        Chinese users showed me how to cook {dish}
        comparing an American {meal} with a Chinese {meal}
        my skincare routine before bed
        a tour of my apartment in {us_city}
        grocery prices at {store} this week
        trying {snack} for the first time
    """),
    "3a": _lines("""
        the protests in {us_city} this weekend
        the election results and what they mean for my town
        healthcare costs in America, my hospital bill was {amount}
        the new executive order signed this week
        student loans and the cost of college in the US
        the minimum wage debate in my state
        workers and the strike at {company}
        the tariffs on imports announced by the president
        gun laws and school safety in America
        immigration policy changes in the US
    """),
    "3b": _lines("""
        free speech online and who controls the apps we use
        data privacy and which companies collect our information
        the right to choose which app I use
        the First Amendment and the TikTok law
        content moderation rules on American platforms
        government access to user data
        digital rights and the banning of apps
        who decides what we can post online
        shadowbanning and censorship on Instagram
        the open internet and app store rules
    """),
    "3c": _lines("""
        the US and China competing over technology
        people from two countries meeting on one app
        the trade war between America and China
        global users on a Chinese platform
        national security and foreign apps
        the idea that apps belong to one country
        globalization and an internet without borders
        politicians calling Chinese apps a threat
        the US-China relationship seen from regular people
        tech nationalism and the app economy
    """),
    "4": _lines("""
        the link to my shop is in my profile
        new {product} drop this week, {discount} off
        I sell handmade {product} and ship to China
        small business owner here, we make {product}
        ordering from Taobao for the first time
        my TikTok Shop store is moving here
        use code {promo} at checkout
        product review of these {product}
        looking for suppliers for my {product} business
        my affiliate deal with a skincare brand
    """),
    "5a": _lines("""
        paying my cat tax to my Chinese spy
        my Chinese spy is going to miss me
        POV: you just arrived on RedNote
        the meme about Americans learning Chinese in one day
        me trying to read the app in Chinese like 👁️👄👁️
        when the cat tax is due and your cat is asleep
        a joke about the TikTok ban my friend sent me
        the refugee memes are getting out of hand
        when Chinese users ask for the cat tax
        meme compilation from this week
    """),
    "5b": _lines("""
        a little about me: I am a {job} from {us_state}
        my story of moving to a new city
        today I want to talk about my {family_member}
        a diary entry about my week
        I have been dealing with {life_event} lately
        my morning routine and my thoughts
        about my life as a {job}
        something personal I have never shared before
        writing about my day after work
        my life update after a long month
    """),
    "5c": _lines("""
        I met {n} new friends from China here
        to everyone who commented on my first post
        looking for pen pals from {cn_city}
        a group chat for TikTok refugees and Chinese friends
        my new friend from {cn_city} sent me a letter
        let's be friends, I want to know more people here
        this community of Chinese and American users
        we made a group to talk every week
        people here helped me find my way around the app
        a video call with my friend from {cn_city}
    """),
    "6": _lines("""
        my new painting of {art_subject}
        a song I wrote on guitar
        drawing {art_subject} in {art_medium}
        my crochet project this week
        a short dance cover I filmed
        photography from my walk in {us_city}
        my digital art of {art_subject}
        a poem I wrote tonight
        a tour of my sketchbook
        a piano cover of a Chinese song
    """),
    "7": _lines("""
        random post
        testing this
        a picture of the sky
        hello
        post number {n}
        my car
        the weather today
        some photos from my phone
        what time is it there
        late night post
    """),
}

EN_DETAIL: dict[str, tuple[str, ...]] = {
    "1a": _lines("""
        The app showed a message saying it is not available in the US.
        The law says the company has to sell or leave.
        My feed was full of goodbye videos.
        Nobody knows if it will come back for good.
        The deadline was set by Congress last year.
    """),
    "1b": _lines("""
        The algorithm here works differently.
        I keep tapping the wrong buttons.
        Still learning where the comments and likes are.
        The translate option is under the three dots.
        I had to verify my phone number twice.
    """),
    "2a": _lines("""
        The tones are the hardest part for me.
        I write ten new words in my notebook every day.
        In return I help with English grammar.
        Pinyin makes it easier to start.
        Characters look like little pictures to me.
    """),
    "2b": _lines("""
        The cities look more modern than what we saw on TV.
        Many people asked where I live and what I do.
        Every country has its own stereotypes.
        It made me think about what I was taught.
        People here asked me about American schools.
    """),
    "2c": _lines("""
        The recipe uses ginger, garlic and soy sauce.
        Eggs cost almost five dollars here.
        I found the ingredients at the Asian market.
        The outfit is all thrifted.
        Dinner took about forty minutes.
    """),
    "3a": _lines("""
        The news covers it every day.
        Rent and insurance keep going up.
        The vote was close in my county.
        Many people in my town work two jobs.
        The new rules start next month.
    """),
    "3b": _lines("""
        The law lets the government remove an app.
        Every app collects some data about us.
        Users should be able to choose their platforms.
        Some posts get hidden without explanation.
        The courts are still looking at the case.
    """),
    "3c": _lines("""
        Both governments talk about national security.
        Regular people just want to talk to each other.
        Phones and chips are at the center of it.
        Apps cross borders faster than laws do.
        Trade numbers between the two countries keep changing.
    """),
    "4": _lines("""
        Shipping takes about two weeks.
        Every order comes with a free sticker.
        Prices are in dollars and yuan.
        Comment below if you want the link.
        Restock is planned for next Friday.
    """),
    "5a": _lines("""
        My cat is the real star here.
        The spy jokes never stop.
        My friend made this edit.
        The comments section is full of cats.
        This is my entry for the cat tax.
    """),
    "5b": _lines("""
        I wake up at six every day.
        My family lives two hours away.
        I have been thinking about this for a while.
        Work has been busy this month.
        I write in a journal most nights.
    """),
    "5c": _lines("""
        We talk almost every day now.
        She is teaching me Chinese and I teach her English.
        The group has people from six countries.
        We send each other pictures of our cities.
        Someone helped me set up my profile.
    """),
    "6": _lines("""
        It took me about three hours.
        I used a new brush set.
        The melody came to me at night.
        This is my third piece this month.
        I am selling prints of this one later.
    """),
    "7": _lines("""
        Nothing special.
        Just a normal day.
        Took this earlier.
        No context.
        That is it.
    """),
}

ZH_TOPIC: dict[str, tuple[str, ...]] = {
    "1a": _lines("""
        TikTok在美国被禁了
        TikTok禁令{ban_day_zh}生效
        我的TikTok打不开了
        美国政府要关掉TikTok
        因为禁令我来到了小红书
        TikTok停了十二个小时
    """),
    "1b": _lines("""
        我还在学习怎么用小红书
        小红书的翻译功能在哪里
        我是小红书新人
        今天第一次注册小红书
        这个APP和TikTok不一样
        我在设置我的主页
    """),
    "2a": _lines("""
        我在学中文
        请教我怎么说这个词
        我学会了说你好和谢谢
        我们在做语言交换
        我每天练习汉字
        拼音对我来说很难
    """),
    "2b": _lines("""
        我是美国人，想聊聊对中国的印象
        学校里教的中国和这里看到的不一样
        大家问我美国人是不是都吃汉堡
        关于美国人的刻板印象
        美国新闻里的中国
        美国文化和中国文化的区别
    """),
    "2c": _lines("""
        我在家做了{zh_dish}
        今天的穿搭
        美国超市的物价
        第一次吃{zh_dish}
        我的护肤步骤
        美国人的一日三餐
    """),
    "3a": _lines("""
        美国的医疗费用
        这周美国的抗议活动
        美国大选的结果
        美国的最低工资
        美国的新政策
        美国的学生贷款
    """),
    "3b": _lines("""
        网络上的言论自由
        数据隐私的问题
        我们有权选择用什么APP
        关于审查和删帖
        政府和用户数据
        数字权利
    """),
    "3c": _lines("""
        中美之间的科技竞争
        两个国家的人在同一个APP上
        中美贸易战
        全球化和互联网
        国家安全和外国APP
        普通人眼里的中美关系
    """),
    "4": _lines("""
        我的小店链接在主页
        新品{zh_item}上架了
        我做手工{zh_item}
        第一次在淘宝买东西
        我的TikTok小店搬到这里了
        这款{zh_item}的测评
    """),
    "5a": _lines("""
        交猫税啦
        我的中国间谍会想我的
        刚来小红书的我
        美国人学中文的梗
        猫税到期了
        这周的搞笑合集
    """),
    "5b": _lines("""
        介绍一下我自己，我来自{zh_state}
        我的故事
        今天想聊聊我的家人
        这周的日记
        我的日常生活
        下班后的一天
    """),
    "5c": _lines("""
        我在这里交了很多中国朋友
        想找{zh_city}的笔友
        中美网友的群聊
        我的{zh_city}朋友给我写了信
        我们交个朋友吧
        这个社区里的中国和美国朋友
    """),
    "6": _lines("""
        我画的新作品
        我写了一首歌
        我的手工作品
        水彩画练习
        我的摄影作品
        钢琴弹中文歌
    """),
    "7": _lines("""
        随便拍拍
        测试一下
        今天的天空
        你好
        随手发一张
        深夜发帖
    """),
}
SLOTS["ban_day_zh"] = ("周日", "1月19日", "这个周末")

ZH_DETAIL: dict[str, tuple[str, ...]] = {
    "1a": _lines("""
        国会通过了这个法律。
        很多人在发告别视频。
        不知道还会不会回来。
    """),
    "1b": _lines("""
        这里的推荐算法不一样。
        翻译按钮在右上角。
        我还在找评论区。
    """),
    "2a": _lines("""
        声调是最难的部分。
        我每天写十个汉字。
        我教他们英语。
    """),
    "2b": _lines("""
        每个国家都有刻板印象。
        城市比电视上看到的更现代。
        大家问了我很多问题。
    """),
    "2c": _lines("""
        用了姜、蒜和酱油。
        鸡蛋要五美元。
        衣服都是二手店买的。
    """),
    "3a": _lines("""
        新闻每天都在报道。
        房租和保险一直在涨。
        新规定下个月开始。
    """),
    "3b": _lines("""
        每个APP都会收集数据。
        有些帖子会被隐藏。
        法院还在审理。
    """),
    "3c": _lines("""
        两国政府都在谈国家安全。
        普通人只想互相交流。
        芯片和手机是重点。
    """),
    "4": _lines("""
        发货大概两周。
        想要链接的评论区留言。
        下周五补货。
    """),
    "5a": _lines("""
        我家猫才是主角。
        间谍的梗停不下来。
        评论区全是猫。
    """),
    "5b": _lines("""
        我每天六点起床。
        我的家人住在两小时外。
        这个月工作很忙。
    """),
    "5c": _lines("""
        我们几乎每天聊天。
        她教我中文，我教她英语。
        群里有六个国家的人。
    """),
    "6": _lines("""
        画了三个小时。
        用了新的画笔。
        这是这个月第三幅。
    """),
    "7": _lines("""
        没什么特别的。
        普通的一天。
        就这样。
    """),
}

EN_SENT: dict[int, tuple[str, ...]] = {
    2: _lines("""
        I absolutely love it here, this is amazing!
        Honestly the best experience ever, I am so happy!!
        I'm thrilled and so grateful, you all are wonderful.
        My heart is so full, I love this community so much.
        This is incredible, I'm overjoyed!
        So so happy right now, everything is perfect.
        Best decision ever, I love it!
        I am beyond excited, this is fantastic.
        Absolutely wonderful, I'm in love with this.
        This made me cry happy tears, amazing people.
        Pure joy, I love love love it.
        What a beautiful experience, I'm so grateful and happy.
    """),
    1: _lines("""
        I like it so far.
        Pretty good honestly.
        It's nice, I'm glad I tried it.
        Feeling good about it.
        Kind of fun, I enjoy it.
        It's cute and I like it.
        Not bad at all, pretty nice.
        I'm happy with how it turned out.
        Glad to be here.
        This is a good start.
        I'm enjoying it.
        A nice little win today.
    """),
    0: _lines("""
        Just sharing this here.
        Posting this for the record.
        Here are the details.
        Not sure what to think yet.
        That's all for today.
        Will update later.
        Just an observation.
        Curious what others think.
        Saving this for later.
        No strong feelings either way.
        Documenting it here.
        It is what it is.
    """),
    -1: _lines("""
        I'm a bit disappointed, honestly.
        Kind of sad about it.
        Not great, to be honest.
        I don't really like it.
        A little annoyed right now.
        This is frustrating.
        Feeling down about it.
        Slightly upset, not gonna lie.
        It's a bummer.
        I'm unhappy with how this went.
        Pretty boring and disappointing.
        That made me a little sad.
    """),
    -2: _lines("""
        I absolutely hate this.
        This is terrible and I'm furious.
        Worst thing ever, I'm so angry.
        Awful, just awful. I'm disgusted.
        I'm heartbroken and devastated.
        This is horrible, I hate it so much.
        Completely outraged right now.
        Disgusting and infuriating.
        I'm miserable, this is the worst.
        Horrible news, I'm crushed.
        So angry I could scream, this is terrible.
        Pathetic and awful, I hate everything about it.
    """),
}

ZH_SENT: dict[int, tuple[str, ...]] = {
    2: _lines("""
        太棒了！超级喜欢！
        真的好开心，好感动！
        爱死了，太喜欢了！
        幸福感爆棚！
        太喜欢这里了，开心到飞起！
        感动到哭，谢谢大家！
        绝绝子，超级开心！
        太美好了，非常喜欢！
        开心得不得了！
        真的太感动了，爱你们！
    """),
    1: _lines("""
        挺喜欢的。
        还不错哦。
        有点开心。
        蛮好的。
        挺有意思的。
        感觉不错。
        还挺满意的。
        有点小开心。
        挺好玩的。
        心情不错。
    """),
    0: _lines("""
        分享一下。
        记录一下。
        随便发发。
        今天就这样。
        大家看看。
        先这样吧。
        说明一下情况。
        以后再更新。
        不知道怎么说。
        就是这样。
    """),
    -1: _lines("""
        有点失望。
        有点难过。
        不太喜欢。
        有点烦。
        心情不太好。
        有点郁闷。
        不太满意。
        有点伤心。
        有点无语。
        挺失望的。
    """),
    -2: _lines("""
        太讨厌了！
        气死我了，非常愤怒！
        真的很失望，很难过。
        糟透了，崩溃了。
        太恶心了，讨厌！
        非常愤怒，受不了了！
        伤心透了，太难过了。
        烦死了，太糟糕了！
        极度失望，讨厌死了。
        愤怒！太过分了！
    """),
}

EN_OPEN = _lines("""
    Hi everyone!
    Hello from {us_state}!
    Day {n} on RedNote.
    Okay so
    Quick update:
    New here.
    Hey RedNote,
    Good evening from {us_city}.
    So,
    PSA:
    Storytime:
    Real talk:
""")
ZH_OPEN = _lines("""
    大家好！
    你好小红书！
    我是美国人。
    哈喽，
    晚上好！
""")
EN_CLOSE = _lines("""
    Let me know in the comments.
    See you tomorrow.
    Follow for more.
    What do you think?
    More later.
    Thanks for reading.
""")
ZH_CLOSE = _lines("""
    评论区见。
    明天见。
    关注我看更多。
    你们觉得呢？
    谢谢阅读。
""")
EN_FILLER = ("lol", "tbh", "ngl", "btw", "fr", "haha")
ZH_FILLER = ("哈哈哈", "嗯嗯", "啊啊啊", "家人们")

# neighbouring levels share emoji, so emoji alone give the polarity but not the intensity
EMOJI: dict[int, tuple[str, ...]] = {
    2: ("😍", "🥰", "❤️", "✨", "🎉", "😭❤️", "🐱", "😊"),
    1: ("😊", "👍", "🙂", "🐱", "😂", "✨", "❤️"),
    0: ("🤔", "👀", "📷", "📝", "🇺🇸"),
    -1: ("😕", "😞", "🙁", "😢", "💔"),
    -2: ("😡", "💔", "😭", "🤬", "😢", "😞"),
}
MARKERS: dict[int, tuple[str, ...]] = {
    2: ("[赞R]", "[哇R]", "[笑哭R]", "[飞吻R]"),
    1: ("[赞R]", "[笑哭R]", "[偷笑R]"),
    0: ("[思考R]", "[看R]", "[doge]"),
    -1: ("[哭惹R]", "[叹气R]"),
    -2: ("[哭惹R]", "[生气R]"),
}

# comments ---------------------------------------------------------------------------------------
# A comment = an emotion phrase at the planted sentiment level (+ tail) with an optional topic echo,
# opening, stance clause, stage phrase, emoji and markers. Emotions (Li et al. 2025) sit on the
# sentiment levels they can carry: anger / contempt negative, sadness-like "neutral" at -1, plain
# remarks and questions at 0, joy / praise / pride positive (curiosity also at +1). Neighbouring
# levels of one emotion share vocabulary ("a little annoying" vs "I'm furious") so the levels stay
# learnable but not trivially separable.
EN_COMMENT_EMOTION: dict[str, dict[int, tuple[str, ...]]] = {
    "anger": {
        -2: ("I'm furious, I hate this", "this makes me so angry", "so angry right now, I hate it",
             "outrageous, I'm fuming", "outrageous and awful, I'm fuming", "I'm so mad, this is terrible",
             "absolutely infuriating, I hate it", "this is awful, I hate it", "worst take ever, I'm livid",
             "furious, this is terrible"),
        -1: ("a little annoying", "slightly annoying", "kinda irritating", "ugh, a bit frustrating",
             "this annoys me a bit", "kinda mad about this tbh", "a bit irritated ngl", "mildly infuriating"),
    },
    "contempt": {
        -2: ("pathetic", "how pathetic and ignorant", "so ignorant and pathetic, disgusting",
             "clown behavior, pathetic 🤡", "pathetic and disgusting", "disgusting, what a pathetic joke", "absolutely pathetic, the worst",
             "so ignorant it's embarrassing", "what a clown, pathetic", "laughable and pathetic"),
        -1: ("meh, not impressed", "kinda lame", "lol ok, not impressive", "overrated and lame", "cringe, not great",
             "meh, kinda basic", "how basic, not great", "not impressed tbh"),
    },
    "neutral": {
        -1: ("kinda disappointing", "this makes me a bit sad", "bit of a letdown", "this is a bit sad",
             "this bums me out", "a little sad to see this", "kind of a shame"),
        0: ("following", "first", "saw this on my feed", "here from the ban", "just passing by", "noted",
            "bookmarked", "reading the comments", "same here", "here we go"),
    },
    "curiosity": {
        0: ("where is this", "what app is this", "what time is it there", "how long did it take", "is this in English",
            "which city", "what is this called", "how much was it", "when was this", "is this real", "link",
            "wait, how does this work", "what is it like there"),
        1: ("cool, how did you make it", "interesting, where can I get one", "nice, which city is this",
            "ooh what is this called", "fun, how does this work"),
    },
    "joy": {
        1: ("haha fun post", "this made me smile", "lol I'm grinning", "good vibes", "happy for you",
            "glad you're here", "this cheered me up", "enjoyed this"),
        2: ("so happy you're here", "you made my day, so happy", "this made me so happy", "so much joy",
            "so happy I could cry, pure joy", "pure joy, I'm laughing so hard", "best thing I've seen today",
            "my heart is so happy"),
    },
    "praise": {
        1: ("nice work", "pretty cool", "well done", "good job", "looks good", "nice one", "cute",
            "not bad at all", "you're good at this", "neat"),
        2: ("absolutely beautiful", "you're so talented, amazing", "amazing work", "this is fantastic, great job",
            "stunning, incredible work, wow", "gorgeous, absolutely amazing", "you're awesome, this is the best",
            "masterpiece, so talented"),
    },
    "pride": {
        1: ("proud of this", "a little proud ngl", "proud to see this", "that's our way, kinda proud",
            "proud of my hometown", "proud of where I'm from"),
        2: ("so proud, this is the best", "this makes me so proud", "so proud to see this, amazing",
            "proud proud proud", "I'm so proud of us, love it", "proud of my people, so proud"),
    },
}
# Chinese comments mix in the Latin-letter net slang RedNote users write (yyds, awsl, xswl, hhh,
# 666, nb, mdzz, tmd, mark).
ZH_COMMENT_EMOTION: dict[str, dict[int, tuple[str, ...]]] = {
    "anger": {
        -2: ("真的很生气", "气死了", "愤怒，太过分了", "非常愤怒", "生气！太过分了", "火大，烦死了", "tmd太过分了",
             "气炸了，讨厌死了"),
        -1: ("有点烦", "有点生气", "看着有点火大", "有点不爽", "有点恼火", "有点生气了"),
    },
    "contempt": {
        -2: ("恶心，别发了", "可笑至极", "无知又可悲", "小丑行为，可悲🤡", "笑死，真是无知又可笑", "真可悲",
             "sb言论，太恶心了", "mdzz，可悲"),
        -1: ("就这", "呵呵", "无语", "不过如此", "一般般吧", "下头", "呵呵，不太行", "emmm不太认同"),
    },
    "neutral": {
        -1: ("有点失望", "这个有点难过", "看完有点郁闷", "有点伤心", "有点遗憾", "唉，有点失落"),
        0: ("路过", "蹲一个后续", "看到了", "来了", "打卡", "mark一下", "收藏了", "前排", "mark"),
    },
    "curiosity": {
        0: ("请问这是哪里", "这是什么", "在哪里买的", "那边几点了", "楼主是哪个州的", "求链接", "这是哪个APP", "多少钱",
            "几月份拍的", "想问一下这个怎么做"),
        1: ("好有意思，这是怎么做的", "挺好看的，在哪里买的", "好玩，这是哪里呀", "有意思，能多讲讲吗"),
    },
    "joy": {
        1: ("还挺开心", "好玩", "哈哈开心", "看着心情都好了", "hhh好玩", "嘿嘿开心", "开心"),
        2: ("太开心了", "开心死了", "太幸福了吧", "欢迎欢迎，超级开心认识你", "xswl太开心了", "开心到飞起hhhh",
            "好感动，欢迎来小红书", "感动哭了，太美好了"),
    },
    "praise": {
        1: ("挺好的", "不错哦", "好看", "可以的", "挺可爱", "不错不错", "666", "nb"),
        2: ("太可爱了吧，爱了爱了", "哇好棒啊，太喜欢了", "绝绝子", "yyds", "太美了吧", "awsl太可爱了", "好美好感动",
            "太厉害了吧，大神"),
    },
    "pride": {
        1: ("有点自豪", "小骄傲一下", "挺自豪的", "有点骄傲"),
        2: ("太自豪了", "为我们骄傲", "自豪感满满", "真的太骄傲了", "骄傲", "大写的骄傲"),
    },
}
EN_COMMENT_TAIL: dict[int, tuple[str, ...]] = {
    2: ("!!", "!!!", "! welcome!!", " omg", " fr", "", ""),
    1: ("!", "", "", " :)", " haha", "!!"),
    0: ("", "", ".", " lol"),
    -1: ("", ".", " tbh", "...", "!"),
    -2: ("!", "!!", ".", ""),
}
ZH_COMMENT_TAIL: dict[int, tuple[str, ...]] = {
    2: ("！", "！！", "啊啊啊", "呀", ""),
    1: ("", "～", "呀", "哈哈", "！"),
    0: ("", "", "。", "～"),
    -1: ("", "。", "吧", "唉"),
    -2: ("！", "！！", "。", ""),
}
# questions end like questions, whatever their level
QUESTION_TAIL = {"en": ("?", "?", "??", ""), "zh": ("？", "？", "？？", "")}
EN_COMMENT_OPEN: dict[str, tuple[str, ...]] = {
    "anger": ("ugh ", "seriously, ", "honestly "), "contempt": ("lol ", "hmm ", "honestly "),
    "neutral": ("", "hi ", "ok "), "curiosity": ("question: ", "hey ", "hi "),
    "joy": ("haha ", "yay ", "omg "), "praise": ("wow ", "omg ", "aww "), "pride": ("see? ", "yes! ", "told you, "),
}
ZH_COMMENT_OPEN: dict[str, tuple[str, ...]] = {
    "anger": ("服了，", "真是的，", "说实话，"), "contempt": ("呵呵，", "呃，", "说实话，"),
    "neutral": ("", "楼主，", "嗯，"), "curiosity": ("请问", "楼主", "姐妹"),
    "joy": ("哈哈哈", "哇", "欢迎！"), "praise": ("哇", "天呐", "哇塞"), "pride": ("必须的，", "那当然，", "看吧，"),
}
# Stance clauses (Li et al.'s Pro-China / Pro-Foreign, plus a few even-handed ones for Neutral) say
# which side the commenter takes without sentiment words, so the planted sentiment level stays in
# the emotion phrase: each was checked to score |s| < 0.2 with the lexicon backend (VADER /
# SnowNLP), which reads a comment by its most emphatic sentence.
EN_STANCE: dict[str, tuple[str, ...]] = {
    "pro-china": ("China is not what the news told us", "come visit China and see for yourself",
                  "in China this is normal", "Chinese healthcare costs way less", "trains in China go everywhere",
                  "you can walk around at night in China", "we have this everywhere in China", "China does this right"),
    "pro-foreign": ("I'd still rather live in the States", "the West is ahead on this",
                    "at least in America we can vote", "the US is still number one", "nothing beats living in America", "I'll take the American way",
                    "back home we have more choices", "Americans have bigger houses"),
    "neutral": ("people are people everywhere", "every country has its own way", "same everywhere really",
                "every country has good and bad"),
}
ZH_STANCE: dict[str, tuple[str, ...]] = {
    "pro-china": ("在中国看病没那么贵。", "我们这边高铁到处都有。", "来中国住几天就懂了。", "中国的医保能报销大部分。",
                  "中国不是你们想的那样。"),
    "pro-foreign": ("还是国外好。", "国外的APP更好用。", "国外的工资确实高。", "国外的假期比较多。", "在国外不用加班。",
                    "国外的空气比这边好。", "我想移民去国外。"),
    "neutral": ("哪里都一样。", "各个国家都有自己的情况。", "各有各的难处。", "其实都差不多。"),
}
# Stage markers (Jing & Zhang 2026): the vernacular names of the three stages in a sentence of
# their own, without sentiment words (checked like the stance clauses above).
EN_NOTE_STAGE: dict[str, tuple[str, ...]] = {
    "cat_tax": ("Here is my cat tax.", "Paying my cat tax 🐱", "Cat tax attached.", "This is my cat tax payment.",
                "My cat tax for today.", "Cat tax for the RedNote natives."),
    "duizhang": ("Let's do 对账: eggs are $6 a dozen here, what about in China?",
                 "Time for some 对账, my rent is $1,500 a month.",
                 "Checking accounts with China: my hospital bill was {amount}.",
                 "Price comparison time: a gallon of milk costs $4 here.",
                 "对账 time: how much is a bowl of noodles in {cn_city}?"),
    "li_hua": ("A letter to Li Hua from {us_state}.", "Li Hua, I finally got your letter.",
               "Hi Li Hua, I am your foreign pen pal.", "Writing back to Li Hua after all these years.",
               "Li Hua, this letter is for you."),
}
ZH_NOTE_STAGE: dict[str, tuple[str, ...]] = {
    "cat_tax": ("这是我的猫税。", "这是今天的猫税。", "猫税在这里。", "猫税一份。", "猫税来了。"),
    "duizhang": ("中美网友在对账。", "对账贴来了。", "中美网友对账。", "对账：看病挂号十五块。", "对账：一杯奶茶十五。"),
    "li_hua": ("李华，你的外国笔友来了。", "李华的笔友来报到了。", "我来给李华写信了。", "写给李华的信。", "李华，收信。"),
}
EN_COMMENT_STAGE: dict[str, tuple[str, ...]] = {
    "cat_tax": ("cat tax received 🐱", "where is the cat tax?", "cat tax paid ✅", "cat tax collected",
                "the cat tax office is open"),
    "duizhang": ("let's 对账: eggs here are $5 a dozen", "对账 time, my rent is $1,800",
                 "checking accounts: a doctor visit is $200 here", "price comparison: milk is $4 here"),
    "li_hua": ("Li Hua finally got a reply", "writing to Li Hua now", "this is the letter to Li Hua we never sent",
               "Li Hua says hi"),
}
ZH_COMMENT_STAGE: dict[str, tuple[str, ...]] = {
    "cat_tax": ("猫税来了", "猫税到了", "猫税？", "猫税一份", "猫税呢？"),
    "duizhang": ("中美网友在对账", "对账贴来了", "这是对账贴吗？", "对账贴打卡", "对账：一杯奶茶十五"),
    "li_hua": ("我就是李华", "李华来了", "李华看到了", "李华在此", "李华在这里"),
}
EN_COMMENT_TOPIC: dict[str, tuple[str, ...]] = {
    "1a": ("the ban", "TikTok being banned", "the ban news", "the court ruling"),
    "1b": ("the app settings", "the translate button", "how this app works", "your first week here"),
    "2a": ("your Chinese", "learning Mandarin", "the pinyin", "language exchange"),
    "2b": ("Americans", "the stereotypes", "what we learned in school", "the US image"),
    "2c": ("that dish", "the recipe", "your outfit", "the grocery prices"),
    "3a": ("the protests", "healthcare costs", "the election", "the new policy"),
    "3b": ("free speech", "privacy", "censorship", "data rights"),
    "3c": ("US-China relations", "the trade war", "both countries", "globalization"),
    "4": ("the shop link", "the product", "the price", "shipping"),
    "5a": ("the cat tax", "this meme", "your spy", "the joke"),
    "5b": ("your story", "your day", "your family", "your life"),
    "5c": ("new friends", "this community", "pen pals", "the group chat"),
    "6": ("your painting", "the song", "the drawing", "this art"),
    "7": ("this pic", "the sky", "this", "the photo"),
}
ZH_COMMENT_TOPIC: dict[str, tuple[str, ...]] = {
    "1a": ("关于禁令", "TikTok被禁的事", "禁令这件事", "美国封禁TikTok"),
    "1b": ("翻译功能", "小红书的用法", "这个APP的设置", "刚来小红书"),
    "2a": ("你的中文", "学中文", "拼音", "语言交换"),
    "2b": ("美国人", "刻板印象", "对中国的印象", "国外的看法"),
    "2c": ("这个菜", "做法", "穿搭", "物价"),
    "3a": ("医疗费", "选举", "抗议", "这个政策"),
    "3b": ("言论自由", "隐私", "审查", "数据"),
    "3c": ("中美关系", "贸易战", "两个国家", "全球化"),
    "4": ("链接", "这个产品", "价格", "包邮吗"),
    "5a": ("猫税", "这个梗", "你的间谍", "这个段子"),
    "5b": ("你的故事", "你的生活", "你的家人", "今天"),
    "5c": ("交朋友", "这个社区", "笔友", "群聊"),
    "6": ("这幅画", "这首歌", "画画", "作品"),
    "7": ("这张图", "天空", "这个", "照片"),
}

# hashtags ----------------------------------------------------------------------------------------
KEYWORD_TAGS: dict[str, tuple[str, ...]] = {
    "tt refugee": ("ttrefugee", "tt难民"),
    "TikTok Refugee": ("TikTokRefugee", "tiktok难民", "TikTokRefugees"),
    "Tiktok ban": ("tiktokban", "TikTok禁令"),
    "American Refugee": ("AmericanRefugee", "美国难民"),
}
TOPIC_TAGS: dict[str, tuple[str, ...]] = {
    "1a": ("TikTok禁令", "SaveTikTok", "tiktokban"),
    "1b": ("小红书新手", "RedNoteTips", "新人报到"),
    "2a": ("学中文", "LearnChinese", "语言交换"),
    "2b": ("美国人", "中美文化差异", "刻板印象"),
    "2c": ("美食", "穿搭", "美国生活", "ootd", "recipe"),
    "3a": ("美国政治", "医疗", "社会新闻"),
    "3b": ("言论自由", "FreeSpeech", "隐私"),
    "3c": ("中美关系", "全球化", "贸易战"),
    "4": ("好物分享", "SmallBusiness", "开箱"),
    "5a": ("猫税", "CatTax", "搞笑", "meme"),
    "5b": ("日常", "我的生活", "vlog", "storytime"),
    "5c": ("交朋友", "笔友", "中美友谊", "猫税"),
    "6": ("绘画", "原创音乐", "手工", "art"),
    "7": ("随拍", "日常"),
}
GENERAL_TAGS = ("美国人在小红书", "小红书", "hello")
# the hashtag a note marked with a stage may carry (Jing & Zhang sampled #猫税 and #cattax)
STAGE_TAGS: dict[str, tuple[str, ...]] = {
    "cat_tax": ("猫税", "CatTax", "cattax"),
    "duizhang": ("中美对账", "对账"),
    "li_hua": ("李华", "LiHua"),
}

_SLOT = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"[A-Za-z]{5,}")


class TextComposer:
    """Composes note bodies and comments from the banks with one `random.Random`."""

    def __init__(self, rng: random.Random, topic_bleed: float):
        self.rng = rng
        self.topic_bleed = topic_bleed
        self._codes = tuple(EN_TOPIC)

    # -- helpers -----------------------------------------------------------------------------------
    def _fill(self, template: str) -> str:
        if "{" not in template:
            return template
        return _SLOT.sub(lambda m: self.rng.choice(SLOTS[m.group(1)]), template)

    def _pick(self, bank: tuple[str, ...]) -> str:
        return self._fill(self.rng.choice(bank))

    def _typo(self, text: str) -> str:
        words = list(_WORD.finditer(text))
        if not words:
            return text
        m = self.rng.choice(words)
        i = m.start() + self.rng.randrange(len(m.group()) - 1)
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]

    def _emoji(self, sentiment: int, k: int) -> str:
        return "".join(self.rng.choice(EMOJI[sentiment]) for _ in range(k))

    # -- notes -------------------------------------------------------------------------------------
    def note_body(self, code: str, sentiment: int, lang: str) -> tuple[str, str]:
        """(headline, body) for a note; the headline is the topic clause, used when a title is set."""
        if lang == "zh":
            return self._zh_note(code, sentiment)
        return self._en_note(code, sentiment, mixed=lang == "mixed")

    def _en_note(self, code: str, sentiment: int, mixed: bool) -> tuple[str, str]:
        rng = self.rng
        head = self._pick(EN_TOPIC[code])
        head = head[0].upper() + head[1:]
        parts = []
        if mixed and rng.random() < 0.6:
            parts.append(rng.choice(ZH_OPEN))
        elif rng.random() < 0.55:
            parts.append(self._pick(EN_OPEN))
        parts.append(head + ".")
        if rng.random() < 0.7:
            parts.append(self._pick(EN_DETAIL[code]))
        if rng.random() < self.topic_bleed:
            parts.append(self._pick(EN_DETAIL[rng.choice(self._codes)]))
        # a mixed note has at least one Chinese sentence: the greeting, the sentiment, or both
        use_zh = mixed and (parts[0] not in ZH_OPEN or rng.random() < 0.5)
        parts.append(rng.choice(ZH_SENT[sentiment]) if use_zh else rng.choice(EN_SENT[sentiment]))
        if abs(sentiment) == 2 and rng.random() < 0.35:
            parts.append(rng.choice(EN_SENT[sentiment]))
        if rng.random() < 0.15:
            parts.append(rng.choice(EN_FILLER))
        if rng.random() < 0.45:
            parts.append(rng.choice(EN_CLOSE))
        body = (" " if rng.random() < 0.6 else "\n").join(parts)
        if rng.random() < 0.6:
            body += " " + self._emoji(sentiment, rng.randint(1, 3))
        if rng.random() < 0.2:
            body = body.lower()
        if rng.random() < 0.25:
            body = self._typo(body)
        return head, body

    def _zh_note(self, code: str, sentiment: int) -> tuple[str, str]:
        rng = self.rng
        head = self._pick(ZH_TOPIC[code])
        parts = []
        if rng.random() < 0.6:
            parts.append(rng.choice(ZH_OPEN))
        parts.append(head + "。")
        if rng.random() < 0.6:
            parts.append(rng.choice(ZH_DETAIL[code]))
        parts.append(rng.choice(ZH_SENT[sentiment]))
        if rng.random() < 0.2:
            parts.append(rng.choice(ZH_FILLER))
        if rng.random() < 0.35:
            parts.append(rng.choice(ZH_CLOSE))
        body = ("" if rng.random() < 0.6 else "\n").join(parts)
        if rng.random() < 0.5:
            body += self._emoji(sentiment, rng.randint(1, 2))
        if rng.random() < 0.3:  # US users writing Chinese often add the English too
            body += "\n(" + self._pick(EN_TOPIC[code]) + ")"
        return head, body

    def hashtags(self, code: str, keywords: list[str]) -> list[str]:
        """Tag names: one per search keyword the note matches, then 0-2 topic tags, maybe a general one."""
        rng = self.rng
        tags = [rng.choice(KEYWORD_TAGS[k]) for k in keywords]
        for tag in rng.sample(TOPIC_TAGS[code], min(len(TOPIC_TAGS[code]), rng.randint(0, 2))):
            if tag not in tags:
                tags.append(tag)
        if rng.random() < 0.3:
            tags.append(rng.choice(GENERAL_TAGS))
        return tags

    # -- stage markers -----------------------------------------------------------------------------
    def note_stage(self, stage: str, lang: str) -> str:
        """A sentence naming a stage's practice, in the note's language (either one for a mixed note)."""
        zh = lang == "zh" or (lang == "mixed" and self.rng.random() < 0.5)
        return self._pick((ZH_NOTE_STAGE if zh else EN_NOTE_STAGE)[stage])

    # -- comments ----------------------------------------------------------------------------------
    def comment(self, code: str, sentiment: int, lang: str, emotion: str, stance: str,
                stages: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
        """(text, the stages whose phrases it carries). 5 % of comments are nothing but emoji or
        markers: only their rough polarity is readable, and they carry no stage phrase."""
        rng = self.rng
        if rng.random() < 0.05:
            return self._reaction_only(sentiment), ()
        if lang == "en":
            return self._en_comment(code, sentiment, emotion, stance, stages), stages
        text = self._zh_comment(code, sentiment, emotion, stance, stages)
        if lang == "mixed":  # a native adding some English, before or after
            if rng.random() < 0.5:
                text = self._core("en", emotion, sentiment) + " " + text
            else:
                text += " " + rng.choice(("lol", "haha", "omg", "hi"))
        return text, stages

    def _reaction_only(self, sentiment: int) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return self._emoji(sentiment, rng.randint(1, 3))
        return "".join(rng.choice(MARKERS[sentiment]) for _ in range(rng.randint(1, 3)))

    def _core(self, lang: str, emotion: str, sentiment: int) -> str:
        """Emotion phrase + tail. 15 % of very positive / very negative comments use the emotion's
        milder words and show their intensity only through emphatic punctuation and emoji."""
        rng = self.rng
        bank = (EN_COMMENT_EMOTION if lang == "en" else ZH_COMMENT_EMOTION)[emotion]
        tails = (QUESTION_TAIL[lang] if emotion == "curiosity"
                 else (EN_COMMENT_TAIL if lang == "en" else ZH_COMMENT_TAIL)[sentiment])
        if abs(sentiment) == 2 and rng.random() < 0.15:
            return rng.choice(bank[sentiment // 2]) + rng.choice(tails) + self._emoji(sentiment, 3)
        return rng.choice(bank[sentiment]) + rng.choice(tails)

    def _with_stance(self, core: str, lang: str, stance: str) -> str:
        """A stance clause before or after the core: always for a side, sometimes an even-handed one."""
        rng = self.rng
        if stance == "neutral" and rng.random() >= NEUTRAL_CLAUSE_SHARE:
            return core
        clause = rng.choice((EN_STANCE if lang == "en" else ZH_STANCE)[stance])
        return _then(clause, core, lang) if rng.random() < 0.3 else _then(core, clause, lang)

    def _with_stages(self, core: str, lang: str, stages: tuple[str, ...]) -> str:
        for stage in stages:
            core = _then(core, self._pick((EN_COMMENT_STAGE if lang == "en" else ZH_COMMENT_STAGE)[stage]), lang)
        return core

    def _en_comment(self, code: str, sentiment: int, emotion: str, stance: str, stages: tuple[str, ...]) -> str:
        rng = self.rng
        core = self._core("en", emotion, sentiment)
        r = rng.random()
        if r < 0.25:
            core = f"{rng.choice(EN_COMMENT_TOPIC[code])}? {core}"
        elif r < 0.45:
            core = f"{core} ({rng.choice(EN_COMMENT_TOPIC[code])})"
        if rng.random() < 0.4:
            core = rng.choice(EN_COMMENT_OPEN[emotion]) + core
        core = self._with_stance(core, "en", stance)
        if rng.random() < 0.1:  # before the stage phrase, so a typo never breaks a stage marker
            core = self._typo(core)
        core = self._with_stages(core, "en", stages)
        if rng.random() < 0.5:
            core += " " + self._emoji(sentiment, rng.randint(1, 2))
        if rng.random() < 0.1:
            core += rng.choice(MARKERS[sentiment])
        return core

    def _zh_comment(self, code: str, sentiment: int, emotion: str, stance: str, stages: tuple[str, ...]) -> str:
        rng = self.rng
        core = self._core("zh", emotion, sentiment)
        if rng.random() < 0.45:
            core = f"{rng.choice(ZH_COMMENT_TOPIC[code])}，{core}"
        if rng.random() < 0.35:
            core = rng.choice(ZH_COMMENT_OPEN[emotion]) + core
        core = self._with_stages(self._with_stance(core, "zh", stance), "zh", stages)
        if rng.random() < 0.45:
            core += rng.choice(MARKERS[sentiment])
        if rng.random() < 0.2:
            core += self._emoji(sentiment, 1)
        if code in ("5a", "5c") and rng.random() < 0.3:
            core += " #猫税[话题]#"
        return core


NEUTRAL_CLAUSE_SHARE = 0.2  # neutral comments that still weigh the two countries evenly


def _then(first: str, second: str, lang: str) -> str:
    """Two sentences in a row: a full stop between them unless the first already ends one (the
    lexicon backend scores sentence by sentence, so a clause must not merge into the core)."""
    if lang == "en":
        return f"{first} {second}" if first.endswith((".", "!", "?")) else f"{first}. {second}"
    return first + second if first.endswith(("。", "！", "？", "～")) else f"{first}。{second}"
