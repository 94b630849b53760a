# Reference values for analysis.stats, computed with base R (+ nlme, a recommended package).
#
# Run from this directory:   Rscript make_reference.R
# Writes data_*.csv (the exact data the Python tests read) and reference_values.csv with
# one row per value: case, quantity, value, r_call, r_version. Data are generated with
# fixed seeds and shaped like the trial (38 vs 39 participants, VAS 0-10 in 0.1 steps).
# Written independently of the Python code (formulas from the cited papers / R sources).

suppressPackageStartupMessages(library(nlme))
RV <- R.version.string
out <- list()
add <- function(case, quantity, value, call) {
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
    value = sprintf("%.15g", as.numeric(value)), r_call = call, r_version = RV)
}

# ---------------------------------------------------------------- two-sample data
set.seed(20240501)
two <- list(
  normal_equal   = list(round(rnorm(38, 25.9, 4.0), 1), round(rnorm(39, 25.8, 3.9), 1)),
  normal_unequal = list(round(rnorm(38, 100, 6), 1), round(rnorm(39, 92, 22), 1)),
  vas_skewed     = list(round(pmin(10, rexp(38, 1 / 1.0)), 1), round(pmin(10, rexp(39, 1 / 1.8)), 1)),
  tiefree_small  = list(rnorm(12, 0, 1), rnorm(10, 0.8, 1))
)
rows <- do.call(rbind, lapply(names(two), function(k) rbind(
  data.frame(case = k, arm = "a", value = sprintf("%.15g", two[[k]][[1]])),
  data.frame(case = k, arm = "b", value = sprintf("%.15g", two[[k]][[2]])))))
write.csv(rows, "data_two_sample.csv", row.names = FALSE)

levene_mean <- function(x, y) {  # Levene centred on the mean = one-way ANOVA of |x - mean|
  d <- c(abs(x - mean(x)), abs(y - mean(y)))
  g <- factor(rep(c("a", "b"), c(length(x), length(y))))
  anova(lm(d ~ g))[["Pr(>F)"]][1]
}
# hl_asym / walsh_asym: the continuity-corrected rank (Hollander & Wolfe). Since issue 18 the
# product inverts the uncorrected test instead; see r_conventions.R (these rows stay for history).
hl_asym <- function(x, y, conf = 0.95) {  # Moses CI, normal-approximation rank, no ties corr.
  d <- sort(outer(x, y, "-")); n <- length(x); m <- length(y)
  k <- floor(n * m / 2 - qnorm(1 - (1 - conf) / 2) * sqrt(n * m * (n + m + 1) / 12) + 0.5)
  k <- max(k, 1)
  c(median(d), d[k], d[n * m + 1 - k])
}
for (k in names(two)) {
  x <- two[[k]][[1]]; y <- two[[k]][[2]]
  add(k, "shapiro_p_a", shapiro.test(x)$p.value, "shapiro.test(a)$p.value")
  add(k, "shapiro_p_b", shapiro.test(y)$p.value, "shapiro.test(b)$p.value")
  add(k, "levene_mean_p", levene_mean(x, y), "anova(lm(abs(v - group mean) ~ group)) Pr(>F)")
  for (ve in c(TRUE, FALSE)) {
    tt <- t.test(x, y, var.equal = ve)
    lab <- if (ve) "student" else "welch"
    cl <- sprintf("t.test(a, b, var.equal = %s)", ve)
    add(k, paste0(lab, "_t"), tt$statistic, paste0(cl, "$statistic"))
    add(k, paste0(lab, "_df"), tt$parameter, paste0(cl, "$parameter"))
    add(k, paste0(lab, "_p"), tt$p.value, paste0(cl, "$p.value"))
    add(k, paste0(lab, "_ci_low"), tt$conf.int[1], paste0(cl, "$conf.int[1]"))
    add(k, paste0(lab, "_ci_high"), tt$conf.int[2], paste0(cl, "$conf.int[2]"))
  }
  w <- suppressWarnings(wilcox.test(x, y, exact = FALSE, correct = FALSE))
  add(k, "mwu_W", w$statistic, "wilcox.test(a, b, exact = FALSE, correct = FALSE)$statistic")
  add(k, "mwu_p", w$p.value, "wilcox.test(a, b, exact = FALSE, correct = FALSE)$p.value")
  h <- hl_asym(x, y)
  add(k, "hl_estimate", h[1], "median(outer(a, b, '-'))")
  add(k, "hl_asym_ci_low", h[2], "sort(outer(a,b,'-'))[k], k = floor(nm/2 - z sqrt(nm(n+m+1)/12) + 0.5)")
  add(k, "hl_asym_ci_high", h[3], "sort(outer(a,b,'-'))[nm + 1 - k]")
  for (g in c("a", "b")) {
    v <- if (g == "a") x else y
    q <- quantile(v, c(0.25, 0.5, 0.75), type = 6)
    add(k, paste0("q1_", g), q[1], sprintf("quantile(%s, 0.25, type = 6)", g))
    add(k, paste0("median_", g), q[2], sprintf("quantile(%s, 0.5, type = 6)", g))
    add(k, paste0("q3_", g), q[3], sprintf("quantile(%s, 0.75, type = 6)", g))
  }
}
x <- two$tiefree_small[[1]]; y <- two$tiefree_small[[2]]
we <- wilcox.test(x, y, exact = TRUE, conf.int = TRUE)
add("tiefree_small", "hl_exact_estimate", we$estimate, "wilcox.test(a, b, exact = TRUE, conf.int = TRUE)$estimate")
add("tiefree_small", "hl_exact_ci_low", we$conf.int[1], "wilcox.test(a, b, exact = TRUE, conf.int = TRUE)$conf.int[1]")
add("tiefree_small", "hl_exact_ci_high", we$conf.int[2], "wilcox.test(a, b, exact = TRUE, conf.int = TRUE)$conf.int[2]")

# ---------------------------------------------------------------- paired data
set.seed(20240502)
b1 <- round(rnorm(38, 5.2, 1.2), 1)
b2 <- sample(3:8, 39, replace = TRUE)
b3 <- rnorm(15, 5, 1)
paired <- list(
  paired_normal  = list(b1, round(b1 - 2.5 + rnorm(38, 0, 0.8), 1)),
  paired_vas     = list(b2, pmax(0, b2 - sample(c(0, 0, 1, 2, 3, 4), 39, replace = TRUE))),
  paired_tiefree = list(b3, b3 + 0.5 + rnorm(15, 0, 1))
)
prow <- do.call(rbind, lapply(names(paired), function(k) data.frame(case = k,
  before = sprintf("%.15g", paired[[k]][[1]]), after = sprintf("%.15g", paired[[k]][[2]]))))
write.csv(prow, "data_paired.csv", row.names = FALSE)
walsh_asym <- function(d, conf = 0.95) {
  n <- length(d); w <- outer(d, d, "+"); w <- sort(w[!lower.tri(w)]) / 2; N <- length(w)
  k <- floor(N / 2 - qnorm(1 - (1 - conf) / 2) * sqrt(n * (n + 1) * (2 * n + 1) / 24) + 0.5)
  k <- max(k, 1)
  c(median(w), w[k], w[N + 1 - k])
}
for (k in names(paired)) {
  bef <- paired[[k]][[1]]; aft <- paired[[k]][[2]]; d <- aft - bef
  add(k, "shapiro_p_diff", shapiro.test(d)$p.value, "shapiro.test(after - before)$p.value")
  tt <- t.test(aft, bef, paired = TRUE)
  cl <- "t.test(after, before, paired = TRUE)"
  add(k, "paired_t", tt$statistic, paste0(cl, "$statistic"))
  add(k, "paired_df", tt$parameter, paste0(cl, "$parameter"))
  add(k, "paired_p", tt$p.value, paste0(cl, "$p.value"))
  add(k, "paired_ci_low", tt$conf.int[1], paste0(cl, "$conf.int[1]"))
  add(k, "paired_ci_high", tt$conf.int[2], paste0(cl, "$conf.int[2]"))
  w <- suppressWarnings(wilcox.test(aft, bef, paired = TRUE, exact = FALSE, correct = FALSE))
  cl <- "wilcox.test(after, before, paired = TRUE, exact = FALSE, correct = FALSE)"
  add(k, "wilcoxon_V", w$statistic, paste0(cl, "$statistic"))
  add(k, "wilcoxon_p", w$p.value, paste0(cl, "$p.value"))
  add(k, "n_nonzero", sum(d != 0), "sum(after - before != 0)")
  h <- walsh_asym(d)
  add(k, "hl_estimate", h[1], "median of Walsh averages of after - before")
  add(k, "hl_asym_ci_low", h[2], "Walsh[k], k = floor(N/2 - z sqrt(n(n+1)(2n+1)/24) + 0.5)")
  add(k, "hl_asym_ci_high", h[3], "Walsh[N + 1 - k]")
}
bef <- paired$paired_tiefree[[1]]; aft <- paired$paired_tiefree[[2]]
we <- wilcox.test(aft, bef, paired = TRUE, exact = TRUE, conf.int = TRUE)
cl <- "wilcox.test(after, before, paired = TRUE, exact = TRUE, conf.int = TRUE)"
add("paired_tiefree", "hl_exact_estimate", we$estimate, paste0(cl, "$estimate"))
add("paired_tiefree", "hl_exact_ci_low", we$conf.int[1], paste0(cl, "$conf.int[1]"))
add("paired_tiefree", "hl_exact_ci_high", we$conf.int[2], paste0(cl, "$conf.int[2]"))

# ---------------------------------------------------------------- contingency tables
tables <- list(
  t2_large   = matrix(c(21, 17, 24, 15), 2, byrow = TRUE),
  t2_yates   = matrix(c(1, 37, 7, 32), 2, byrow = TRUE),
  t2_small_n = matrix(c(2, 10, 7, 6), 2, byrow = TRUE),
  t2_zero    = matrix(c(0, 20, 6, 19), 2, byrow = TRUE),
  t2_recur   = matrix(c(3, 35, 11, 28), 2, byrow = TRUE),
  rc_2x4     = matrix(c(1, 2, 21, 14, 0, 3, 21, 15), 2, byrow = TRUE),
  rc_2x5     = matrix(c(0, 5, 21, 12, 0, 0, 9, 19, 10, 1), 2, byrow = TRUE),
  rc_3x4     = matrix(c(5, 8, 9, 3, 7, 2, 4, 10, 3, 6, 6, 6), 3, byrow = TRUE),
  rc_3x3     = matrix(c(2, 0, 5, 1, 4, 1, 6, 1, 0), 3, byrow = TRUE),
  rc_2x3_big = matrix(c(30, 25, 20, 15, 28, 35), 2, byrow = TRUE)
)
trow <- do.call(rbind, lapply(names(tables), function(k) data.frame(case = k,
  nrow = nrow(tables[[k]]), cells = paste(as.vector(t(tables[[k]])), collapse = ";"))))
write.csv(trow, "data_tables.csv", row.names = FALSE)
for (k in names(tables)) {
  m <- tables[[k]]; mm <- m[, colSums(m) > 0, drop = FALSE]
  cs <- suppressWarnings(chisq.test(mm, correct = FALSE))
  add(k, "pearson_chi2", cs$statistic, "chisq.test(m, correct = FALSE)$statistic (empty columns dropped)")
  add(k, "pearson_p", cs$p.value, "chisq.test(m, correct = FALSE)$p.value")
  add(k, "fisher_p", fisher.test(mm, workspace = 2e8)$p.value, "fisher.test(m, workspace = 2e8)$p.value")
  if (all(dim(m) == 2)) {
    add(k, "yates_p", suppressWarnings(chisq.test(m, correct = TRUE))$p.value, "chisq.test(m, correct = TRUE)$p.value")
    add(k, "fisher_less_p", fisher.test(m, alternative = "less")$p.value, "fisher.test(m, alternative = 'less')$p.value")
    add(k, "fisher_greater_p", fisher.test(m, alternative = "greater")$p.value, "fisher.test(m, alternative = 'greater')$p.value")
    a <- m[1, 1]; b <- m[1, 2]; c <- m[2, 1]; d <- m[2, 2]; n1 <- a + b; n2 <- c + d
    w1 <- prop.test(a, n1, correct = FALSE)$conf.int; w2 <- prop.test(c, n2, correct = FALSE)$conf.int
    p1 <- a / n1; p2 <- c / n2; rd <- p1 - p2
    add(k, "rd", rd, "a/n1 - c/n2")
    add(k, "rd_ci_low", rd - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), "Newcombe 10 with prop.test(correct = FALSE)$conf.int (Wilson)")
    add(k, "rd_ci_high", rd + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2), "Newcombe 10 with prop.test(correct = FALSE)$conf.int (Wilson)")
    if (any(m == 0)) { a <- a + .5; b <- b + .5; c <- c + .5; d <- d + .5; n1 <- a + b; n2 <- c + d }
    z <- qnorm(0.975)
    lrr <- log((a / n1) / (c / n2)); se <- sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    add(k, "rr", exp(lrr), "(a/n1)/(c/n2), +0.5 to all cells if any zero")
    add(k, "rr_ci_low", exp(lrr - z * se), "exp(log RR - z sqrt(1/a - 1/n1 + 1/c - 1/n2))")
    add(k, "rr_ci_high", exp(lrr + z * se), "exp(log RR + z sqrt(1/a - 1/n1 + 1/c - 1/n2))")
    lor <- log(a * d / (b * c)); se <- sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    add(k, "or", exp(lor), "ad/(bc), +0.5 to all cells if any zero")
    add(k, "or_ci_low", exp(lor - z * se), "exp(log OR - z sqrt(1/a+1/b+1/c+1/d))")
    add(k, "or_ci_high", exp(lor + z * se), "exp(log OR + z sqrt(1/a+1/b+1/c+1/d))")
  }
}

# ---------------------------------------------------------------- paper tables (paper mode)
pt <- read.csv("paper_tables.csv", comment.char = "#", stringsAsFactors = FALSE)
for (i in seq_len(nrow(pt))) {
  s <- as.numeric(strsplit(pt$counts_s[i], ";")[[1]]); p <- as.numeric(strsplit(pt$counts_p[i], ";")[[1]])
  m <- rbind(s, p); k <- paste0("paper_", pt$row[i])
  if (pt$ordinal[i] == 1) {
    codes <- seq_along(s)
    w <- wilcox.test(rep(codes, s), rep(codes, p), exact = FALSE, correct = FALSE)
    add(k, "mwu_p", w$p.value, "wilcox.test(rep(1:k, S), rep(1:k, P), exact = FALSE, correct = FALSE)$p.value")
  } else if (length(s) == 2) {
    if (sum(m[, 1]) > 0) {
      add(k, "pearson_p", chisq.test(m, correct = FALSE)$p.value, "chisq.test(m, correct = FALSE)$p.value")
    }
    one <- min(fisher.test(m, alternative = "less")$p.value, fisher.test(m, alternative = "greater")$p.value)
    add(k, "fisher_one_sided_p", one, "min(fisher.test(m, alternative = 'less'/'greater')$p.value)")
    add(k, "fisher_p", fisher.test(m)$p.value, "fisher.test(m)$p.value")
  } else {
    mm <- m[, colSums(m) > 0]
    add(k, "fisher_p", fisher.test(mm, workspace = 2e8)$p.value, "fisher.test(m, workspace = 2e8)$p.value (FFH)")
  }
}

# ---------------------------------------------------------------- ANCOVA
set.seed(20240503)
arm <- rep(c("P", "S"), c(39, 38))
base <- round(rnorm(77, 50, 10), 1)
post <- round(20 + 0.3 * base - 6 * (arm == "S") + rnorm(77, 0, 8), 1)
post[c(5, 60)] <- NA
anc <- data.frame(participant_id = sprintf("p%02d", 1:77), arm = arm, baseline = base, post = post)
write.csv(anc, "data_ancova.csv", row.names = FALSE, na = "")
fit <- lm(post ~ arm + baseline, data = anc)
cf <- summary(fit)$coefficients; ci <- confint(fit)
cl <- "lm(post ~ arm + baseline)"
add("ancova", "est_armS", cf["armS", 1], paste0(cl, " coef armS"))
add("ancova", "se_armS", cf["armS", 2], paste0(cl, " SE armS"))
add("ancova", "p_armS", cf["armS", 4], paste0(cl, " Pr(>|t|) armS"))
add("ancova", "ci_low_armS", ci["armS", 1], paste0("confint(", cl, ")"))
add("ancova", "ci_high_armS", ci["armS", 2], paste0("confint(", cl, ")"))
add("ancova", "est_baseline", cf["baseline", 1], paste0(cl, " coef baseline"))
add("ancova", "n_obs", nobs(fit), "nobs(fit)")

# ---------------------------------------------------------------- mixed model, VAS over 4 visits
set.seed(20240504)
visits <- c("v0_admission", "v1_preop", "v2_day3", "v3_month3")
vm <- c(5.5, 3.5, 1.6, 1.1); eff <- c(0, -1.2, -0.6, -0.5)
ids <- sprintf("p%02d", 1:77); arms <- rep(c("P", "S"), c(39, 38)); ri <- rnorm(77, 0, 0.8)
long <- expand.grid(v = 1:4, i = 1:77)
long$participant_id <- ids[long$i]; long$arm <- arms[long$i]; long$visit <- visits[long$v]
long$value <- round(pmin(10, pmax(0, vm[long$v] + eff[long$v] * (long$arm == "S") + ri[long$i] +
  rnorm(nrow(long), 0, 0.9))), 1)
long$value[sample(which(long$v > 1), 12)] <- NA
long <- long[, c("participant_id", "arm", "visit", "value")]
write.csv(long, "data_vas_long.csv", row.names = FALSE, na = "")
mfit <- lme(value ~ arm * visit, random = ~ 1 | participant_id, data = long, method = "REML",
  na.action = na.omit)
cl <- "nlme::lme(value ~ arm * visit, random = ~1 | participant_id, method = 'REML', na.action = na.omit)"
fe <- fixef(mfit); se <- sqrt(diag(vcov(mfit)))
for (nm in names(fe)) {
  add("mixed", paste0("coef:", nm), fe[[nm]], paste0(cl, " fixef"))
  add("mixed", paste0("se:", nm), se[[nm]], paste0(cl, " sqrt(diag(vcov))"))
}
vc <- as.numeric(VarCorr(mfit)[, "Variance"])
add("mixed", "var_subject", vc[1], paste0("VarCorr(", cl, ")"))
add("mixed", "var_residual", vc[2], paste0("VarCorr(", cl, ")"))
add("mixed", "loglik_reml", logLik(mfit), paste0("logLik(", cl, ")"))
add("mixed", "n_obs", nobs(mfit), "nobs(fit)")

# ---------------------------------------------------------------- sample size
exact_power <- function(n1, n2, p1, p2, alpha = 0.05) {
  pw <- 0
  for (x1 in 0:n1) for (x2 in 0:n2) {
    pb <- (x1 + x2) / (n1 + n2)
    if (pb == 0 || pb == 1) next
    z <- (x1 / n1 - x2 / n2) / sqrt(pb * (1 - pb) * (1 / n1 + 1 / n2))
    if (abs(z) > qnorm(1 - alpha / 2)) pw <- pw + dbinom(x1, n1, p1) * dbinom(x2, n2, p2)
  }
  pw
}
for (n in 28:40) add("sample_size", paste0("exact_power_n", n), exact_power(n, n, 0.43, 0.80),
  "sum of dbinom(x1,n,.43)*dbinom(x2,n,.80) over |pooled z| > qnorm(.975)")
add("sample_size", "exact_power_n30_45_p2", exact_power(30, 45, 0.43, 0.80),
  "exact_power(30, 45, .43, .80)")
nf <- 28; while (exact_power(nf, nf, 0.43, 0.80) < 0.9) nf <- nf + 1
add("sample_size", "exact_n", nf, "smallest n >= 28 with exact power >= 0.9")
pp <- power.prop.test(p1 = 0.43, p2 = 0.80, sig.level = 0.05, power = 0.9)$n
add("sample_size", "normal_pooled_n", ceiling(pp), "ceiling(power.prop.test(p1=.43, p2=.80, power=.9)$n)")
za <- qnorm(0.975); zb <- qnorm(0.9)
nu <- (za + zb)^2 * (0.43 * 0.57 + 0.8 * 0.2) / 0.37^2
add("sample_size", "normal_unpooled_n", ceiling(nu), "ceiling((za+zb)^2 (p1q1+p2q2)/d^2)")
add("sample_size", "fleiss_cc_n", ceiling(pp / 4 * (1 + sqrt(1 + 4 / (pp * 0.37)))^2),
  "ceiling(n/4 (1 + sqrt(1 + 4/(n d)))^2), n from power.prop.test")

res <- do.call(rbind, out)
writeLines(paste("# generated by make_reference.R with", RV, "on", format(Sys.Date())), "reference_values.csv")
suppressWarnings(write.table(res, "reference_values.csv", sep = ",", row.names = FALSE,
  append = TRUE, qmethod = "double"))
cat("wrote", nrow(res), "values\n")
