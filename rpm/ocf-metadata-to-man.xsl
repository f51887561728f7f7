<?xml version="1.0" encoding="UTF-8"?>
<!--
  Renders an OCF resource agent's meta-data (what `AGENT meta-data` prints) as a troff man page
  in section 7, named ocf_PROVIDER_AGENT, the way cluster administrators find agent manuals.
  It writes man(7) macros directly, so building the package needs only xsltproc (no DocBook).
  Parameters: provider, package ("mqha 0.1.0"), date, ocf-root, siblings (the provider's agents,
  space-separated, for SEE ALSO). rpm/render-man.sh is the caller.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:param name="provider" select="'mqha'"/>
  <xsl:param name="package" select="'mqha'"/>
  <xsl:param name="date" select="''"/>
  <xsl:param name="ocf-root" select="'/usr/lib/ocf'"/>
  <!-- space-separated names of the provider's agents, for SEE ALSO -->
  <xsl:param name="siblings" select="''"/>

  <xsl:variable name="nl" select="'&#10;'"/>
  <xsl:variable name="agent" select="/resource-agent/@name"/>
  <xsl:variable name="page" select="concat('ocf_', $provider, '_', $agent)"/>
  <xsl:variable name="lower" select="'abcdefghijklmnopqrstuvwxyz'"/>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>

  <xsl:template match="/">
    <xsl:if test="not(resource-agent/@name) or normalize-space(resource-agent/@name) = ''">
      <xsl:message terminate="yes">ocf-metadata-to-man.xsl: input is not OCF meta-data (no resource-agent element with a name)</xsl:message>
    </xsl:if>
    <xsl:apply-templates select="resource-agent"/>
  </xsl:template>

  <xsl:template match="resource-agent">
    <xsl:text>.\" Generated from the meta-data of the OCF resource agent </xsl:text>
    <xsl:value-of select="$agent"/>
    <xsl:text> by ocf-metadata-to-man.xsl; edit the agent, not this file.</xsl:text>
    <xsl:value-of select="$nl"/>
    <xsl:text>.TH "</xsl:text>
    <xsl:value-of select="translate($page, $lower, $upper)"/>
    <xsl:text>" "7" "</xsl:text>
    <xsl:value-of select="$date"/>
    <xsl:text>" "</xsl:text>
    <xsl:value-of select="$package"/>
    <xsl:text>" "OCF resource agents"&#10;</xsl:text>

    <xsl:text>.SH NAME&#10;</xsl:text>
    <xsl:value-of select="$page"/>
    <xsl:text> \- </xsl:text>
    <xsl:call-template name="inline">
      <xsl:with-param name="text" select="normalize-space((shortdesc[@lang='en'] | shortdesc)[1])"/>
    </xsl:call-template>
    <xsl:value-of select="$nl"/>

    <xsl:call-template name="synopsis"/>

    <xsl:text>.SH DESCRIPTION&#10;</xsl:text>
    <xsl:call-template name="prose">
      <xsl:with-param name="text" select="(longdesc[@lang='en'] | longdesc)[1]"/>
      <xsl:with-param name="break" select="'.PP'"/>
    </xsl:call-template>
    <xsl:text>.PP&#10;The agent is installed as \fB</xsl:text>
    <xsl:value-of select="concat($ocf-root, '/resource.d/', $provider, '/', $agent)"/>
    <xsl:text>\fR; Pacemaker knows it as \fBocf:</xsl:text>
    <xsl:value-of select="concat($provider, ':', $agent)"/>
    <xsl:text>\fR.&#10;</xsl:text>

    <xsl:if test="parameters/parameter">
      <xsl:text>.SH "SUPPORTED PARAMETERS"&#10;</xsl:text>
      <xsl:apply-templates select="parameters/parameter"/>
    </xsl:if>

    <xsl:text>.SH "SUPPORTED ACTIONS"&#10;</xsl:text>
    <xsl:text>.PP&#10;This resource agent supports the following actions (operations):&#10;</xsl:text>
    <xsl:apply-templates select="actions/action"/>

    <xsl:call-template name="example"/>
    <xsl:call-template name="see-also"/>
  </xsl:template>

  <!-- SYNOPSIS: the environment the agent reads and the actions it answers -->
  <xsl:template name="synopsis">
    <!-- left-aligned: justifying a list of NAME=VALUE words only spreads them apart -->
    <xsl:text>.SH SYNOPSIS&#10;.ad l&#10;.nh&#10;</xsl:text>
    <xsl:for-each select="parameters/parameter">
      <xsl:if test="not(@required = '1')">[</xsl:if>
      <xsl:text>\fBOCF_RESKEY_</xsl:text>
      <xsl:value-of select="@name"/>
      <xsl:text>\fR=\fI</xsl:text>
      <xsl:call-template name="placeholder"/>
      <xsl:text>\fR</xsl:text>
      <xsl:if test="not(@required = '1')">]</xsl:if>
      <xsl:value-of select="$nl"/>
    </xsl:for-each>
    <xsl:text>\fB</xsl:text>
    <xsl:value-of select="$agent"/>
    <xsl:text>\fR {</xsl:text>
    <xsl:for-each select="actions/action[not(@name = preceding-sibling::action/@name)]">
      <xsl:if test="position() != 1">
        <xsl:text> | </xsl:text>
      </xsl:if>
      <xsl:value-of select="@name"/>
    </xsl:for-each>
    <xsl:text>}&#10;.hy&#10;.ad&#10;</xsl:text>
  </xsl:template>

  <!-- The value to show for a parameter: its default when it has one, else its type -->
  <xsl:template name="placeholder">
    <xsl:choose>
      <xsl:when test="normalize-space(content/@default) != ''">
        <xsl:call-template name="inline">
          <xsl:with-param name="text" select="content/@default"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="content/@type">
        <xsl:value-of select="content/@type"/>
      </xsl:when>
      <xsl:otherwise>string</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="parameter">
    <xsl:text>.TP&#10;\fB</xsl:text>
    <xsl:value-of select="@name"/>
    <xsl:text>\fR (</xsl:text>
    <xsl:choose>
      <xsl:when test="@required = '1'">required</xsl:when>
      <xsl:otherwise>optional</xsl:otherwise>
    </xsl:choose>
    <xsl:text>, </xsl:text>
    <xsl:value-of select="content/@type"/>
    <xsl:if test="not(content/@type)">string</xsl:if>
    <xsl:if test="@unique-group">
      <xsl:text>, unique with group </xsl:text>
      <xsl:value-of select="@unique-group"/>
    </xsl:if>
    <xsl:if test="@unique = '1' and not(@unique-group)">, unique</xsl:if>
    <xsl:if test="@reloadable = '1'">, reloadable</xsl:if>
    <xsl:text>)&#10;</xsl:text>
    <xsl:variable name="short" select="normalize-space((shortdesc[@lang='en'] | shortdesc)[1])"/>
    <xsl:variable name="long" select="(longdesc[@lang='en'] | longdesc)[1]"/>
    <xsl:if test="$short != '' and $short != normalize-space($long)">
      <xsl:call-template name="inline">
        <xsl:with-param name="text" select="$short"/>
      </xsl:call-template>
      <xsl:if test="normalize-space($long) != ''">
        <xsl:text>&#10;.IP&#10;</xsl:text>
      </xsl:if>
    </xsl:if>
    <xsl:call-template name="prose">
      <xsl:with-param name="text" select="$long"/>
      <xsl:with-param name="break" select="'.IP'"/>
    </xsl:call-template>
    <xsl:if test="$short != '' and normalize-space($long) = ''">
      <xsl:value-of select="$nl"/>
    </xsl:if>
    <xsl:if test="content/option">
      <xsl:text>.IP&#10;One of: </xsl:text>
      <xsl:for-each select="content/option">
        <xsl:if test="position() != 1">, </xsl:if>
        <xsl:text>\fB</xsl:text>
        <xsl:call-template name="inline">
          <xsl:with-param name="text" select="@value"/>
        </xsl:call-template>
        <xsl:text>\fR</xsl:text>
      </xsl:for-each>
      <xsl:text>.&#10;</xsl:text>
    </xsl:if>
    <xsl:if test="normalize-space(content/@default) != ''">
      <xsl:text>.IP&#10;Default: \fB</xsl:text>
      <xsl:call-template name="inline">
        <xsl:with-param name="text" select="content/@default"/>
      </xsl:call-template>
      <xsl:text>\fR&#10;</xsl:text>
    </xsl:if>
    <xsl:if test="deprecated">
      <xsl:text>.IP&#10;Deprecated</xsl:text>
      <xsl:for-each select="deprecated/replaced-with">
        <xsl:text>; use \fB</xsl:text>
        <xsl:value-of select="@name"/>
        <xsl:text>\fR instead</xsl:text>
      </xsl:for-each>
      <xsl:text>.&#10;</xsl:text>
    </xsl:if>
  </xsl:template>

  <xsl:template match="action">
    <xsl:text>.TP&#10;\fB</xsl:text>
    <xsl:value-of select="@name"/>
    <xsl:text>\fR</xsl:text>
    <xsl:if test="@depth and @depth != '0'">
      <xsl:text> (OCF_CHECK_LEVEL=</xsl:text>
      <xsl:value-of select="@depth"/>
      <xsl:text>)</xsl:text>
    </xsl:if>
    <xsl:if test="@role">
      <xsl:text> (role </xsl:text>
      <xsl:value-of select="@role"/>
      <xsl:text>)</xsl:text>
    </xsl:if>
    <xsl:value-of select="$nl"/>
    <xsl:choose>
      <xsl:when test="@name = 'start'">Starts the resource.</xsl:when>
      <xsl:when test="@name = 'stop'">Stops the resource.</xsl:when>
      <xsl:when test="@name = 'monitor'">Reports whether the resource is running.</xsl:when>
      <xsl:when test="@name = 'status'">Reports whether the resource is running.</xsl:when>
      <xsl:when test="@name = 'validate-all'">Checks the resource's parameters.</xsl:when>
      <xsl:when test="@name = 'meta-data'">Prints the agent's meta-data (XML).</xsl:when>
      <xsl:when test="@name = 'reload'">Applies changed parameters.</xsl:when>
      <xsl:when test="@name = 'reload-agent'">Applies changed reloadable parameters.</xsl:when>
      <xsl:when test="@name = 'promote'">Promotes the resource.</xsl:when>
      <xsl:when test="@name = 'demote'">Demotes the resource.</xsl:when>
      <xsl:when test="@name = 'notify'">Receives notifications from the cluster.</xsl:when>
      <xsl:when test="@name = 'usage' or @name = 'help'">Prints how to call the agent.</xsl:when>
    </xsl:choose>
    <xsl:if test="@timeout">
      <xsl:text> Suggested minimum timeout: </xsl:text>
      <xsl:value-of select="@timeout"/>
      <xsl:text>.</xsl:text>
    </xsl:if>
    <xsl:if test="@interval and @interval != '0' and @interval != '0s'">
      <xsl:text> Suggested interval: </xsl:text>
      <xsl:value-of select="@interval"/>
      <xsl:text>.</xsl:text>
    </xsl:if>
    <xsl:if test="@start-delay">
      <xsl:text> Start delay: </xsl:text>
      <xsl:value-of select="@start-delay"/>
      <xsl:text>.</xsl:text>
    </xsl:if>
    <xsl:value-of select="$nl"/>
  </xsl:template>

  <!-- Examples as administrators create resources: with pcs and with crmsh, a primitive with the
       role-less operations, and, for an agent that can be promoted, a promotable clone with the
       role-specific monitors. The role-less monitors never go into the clone's example and the
       role-specific ones never into the primitive's (pcs copies every advertised monitor). -->
  <xsl:template name="example">
    <xsl:variable name="rid" select="concat('example_', translate($agent, '-', '_'))"/>
    <xsl:text>.SH "EXAMPLE PCS USAGE"&#10;</xsl:text>
    <xsl:text>.PP&#10;A resource of this type, with its required parameters and advised operations:&#10;</xsl:text>
    <xsl:text>.PP&#10;.nf&#10;.RS 4&#10;</xsl:text>
    <xsl:text>pcs resource create </xsl:text>
    <xsl:value-of select="$rid"/>
    <xsl:text> ocf:</xsl:text>
    <xsl:value-of select="concat($provider, ':', $agent)"/>
    <xsl:call-template name="example-params">
      <xsl:with-param name="sep" select="' \e&#10;    '"/>
    </xsl:call-template>
    <xsl:for-each select="actions/action[(@name = 'start' or @name = 'stop' or @name = 'monitor') and not(@role)]">
      <xsl:text> \e&#10;    op </xsl:text>
      <xsl:call-template name="example-op"/>
    </xsl:for-each>
    <xsl:text>&#10;.RE&#10;.fi&#10;</xsl:text>
    <xsl:if test="actions/action[@name = 'promote']">
      <xsl:text>.PP&#10;As a promotable clone of two instances (one promoted), with the monitors of each role:&#10;</xsl:text>
      <xsl:text>.PP&#10;.nf&#10;.RS 4&#10;</xsl:text>
      <xsl:text>pcs resource create </xsl:text>
      <xsl:value-of select="$rid"/>
      <xsl:text> ocf:</xsl:text>
      <xsl:value-of select="concat($provider, ':', $agent)"/>
      <xsl:call-template name="example-params">
        <xsl:with-param name="sep" select="' \e&#10;    '"/>
        <xsl:with-param name="promotable" select="true()"/>
      </xsl:call-template>
      <xsl:for-each select="actions/action[@name = 'monitor' and @role]">
        <xsl:text> \e&#10;    op </xsl:text>
        <xsl:call-template name="example-op"/>
      </xsl:for-each>
      <xsl:text> \e&#10;    promotable promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true</xsl:text>
      <xsl:text>&#10;.RE&#10;.fi&#10;</xsl:text>
    </xsl:if>
    <xsl:text>.SH "EXAMPLE CRM SHELL USAGE"&#10;</xsl:text>
    <xsl:text>.PP&#10;The same resource with crmsh:&#10;</xsl:text>
    <xsl:text>.PP&#10;.nf&#10;.RS 4&#10;</xsl:text>
    <xsl:text>crm configure primitive </xsl:text>
    <xsl:value-of select="$rid"/>
    <xsl:text> ocf:</xsl:text>
    <xsl:value-of select="concat($provider, ':', $agent)"/>
    <xsl:text> \e&#10;    params</xsl:text>
    <xsl:call-template name="example-params">
      <xsl:with-param name="sep" select="' '"/>
    </xsl:call-template>
    <xsl:for-each select="actions/action[(@name = 'start' or @name = 'stop' or @name = 'monitor') and not(@role)]">
      <xsl:text> \e&#10;    op </xsl:text>
      <xsl:call-template name="example-op"/>
    </xsl:for-each>
    <xsl:text>&#10;.RE&#10;.fi&#10;</xsl:text>
    <xsl:if test="actions/action[@name = 'promote']">
      <xsl:text>.PP&#10;As a promotable clone:&#10;</xsl:text>
      <xsl:text>.PP&#10;.nf&#10;.RS 4&#10;</xsl:text>
      <xsl:text>crm configure primitive </xsl:text>
      <xsl:value-of select="$rid"/>
      <xsl:text> ocf:</xsl:text>
      <xsl:value-of select="concat($provider, ':', $agent)"/>
      <xsl:text> \e&#10;    params</xsl:text>
      <xsl:call-template name="example-params">
        <xsl:with-param name="sep" select="' '"/>
        <xsl:with-param name="promotable" select="true()"/>
      </xsl:call-template>
      <xsl:for-each select="actions/action[@name = 'monitor' and @role]">
        <xsl:text> \e&#10;    op </xsl:text>
        <xsl:call-template name="example-op"/>
      </xsl:for-each>
      <xsl:text>&#10;crm configure clone </xsl:text>
      <xsl:value-of select="$rid"/>
      <xsl:text>_clone </xsl:text>
      <xsl:value-of select="$rid"/>
      <xsl:text> \e&#10;    meta promotable=true promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true</xsl:text>
      <xsl:text>&#10;.RE&#10;.fi&#10;</xsl:text>
    </xsl:if>
  </xsl:template>

  <!-- The required parameters as NAME=VALUE, each after $sep; in a promotable example also a
       boolean parameter named multi_instance set to true (the agent's switch for the clone). -->
  <xsl:template name="example-params">
    <xsl:param name="sep"/>
    <xsl:param name="promotable" select="false()"/>
    <xsl:for-each select="parameters/parameter[@required = '1']">
      <xsl:value-of select="$sep"/>
      <xsl:value-of select="@name"/>
      <xsl:text>=\fI</xsl:text>
      <xsl:call-template name="placeholder"/>
      <xsl:text>\fR</xsl:text>
    </xsl:for-each>
    <xsl:if test="$promotable and parameters/parameter[@name = 'multi_instance']">
      <xsl:value-of select="$sep"/>
      <xsl:text>multi_instance=true</xsl:text>
    </xsl:if>
  </xsl:template>

  <!-- One operation: name, interval, timeout, role and depth as pcs and crmsh both write them -->
  <xsl:template name="example-op">
    <xsl:value-of select="@name"/>
    <xsl:if test="@interval">
      <xsl:text> interval=</xsl:text>
      <xsl:value-of select="@interval"/>
    </xsl:if>
    <xsl:if test="@timeout">
      <xsl:text> timeout=</xsl:text>
      <xsl:value-of select="@timeout"/>
    </xsl:if>
    <xsl:if test="@role">
      <xsl:text> role=</xsl:text>
      <xsl:value-of select="@role"/>
    </xsl:if>
    <xsl:if test="@depth and @depth != '0'">
      <xsl:text> OCF_CHECK_LEVEL=</xsl:text>
      <xsl:value-of select="@depth"/>
    </xsl:if>
  </xsl:template>

  <xsl:template name="see-also">
    <xsl:text>.SH "SEE ALSO"&#10;</xsl:text>
    <xsl:call-template name="sibling-refs">
      <xsl:with-param name="rest" select="normalize-space($siblings)"/>
    </xsl:call-template>
    <xsl:text>\fBpcs\fR(8), \fBcrm_resource\fR(8), \fBocf-tester\fR(8)&#10;</xsl:text>
  </xsl:template>

  <xsl:template name="sibling-refs">
    <xsl:param name="rest"/>
    <xsl:if test="$rest != ''">
      <xsl:variable name="head">
        <xsl:choose>
          <xsl:when test="contains($rest, ' ')">
            <xsl:value-of select="substring-before($rest, ' ')"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:value-of select="$rest"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:variable>
      <xsl:if test="$head != $agent">
        <xsl:text>\fBocf_</xsl:text>
        <xsl:value-of select="concat($provider, '_', $head)"/>
        <xsl:text>\fR(7), </xsl:text>
      </xsl:if>
      <xsl:call-template name="sibling-refs">
        <xsl:with-param name="rest" select="substring-after($rest, ' ')"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!--
    Free text from the meta-data as troff paragraphs: blank lines separate paragraphs (the
    `break` macro), every other line is trimmed and escaped so no line can be read as a request.
  -->
  <xsl:template name="prose">
    <xsl:param name="text"/>
    <xsl:param name="break"/>
    <xsl:param name="emitted" select="false()"/>
    <xsl:param name="pending" select="false()"/>
    <xsl:if test="string-length($text) != 0">
      <xsl:variable name="line">
        <xsl:choose>
          <xsl:when test="contains($text, $nl)">
            <xsl:value-of select="normalize-space(substring-before($text, $nl))"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:value-of select="normalize-space($text)"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:variable>
      <xsl:variable name="rest" select="substring-after($text, $nl)"/>
      <xsl:choose>
        <xsl:when test="$line = ''">
          <xsl:call-template name="prose">
            <xsl:with-param name="text" select="$rest"/>
            <xsl:with-param name="break" select="$break"/>
            <xsl:with-param name="emitted" select="$emitted"/>
            <xsl:with-param name="pending" select="$emitted"/>
          </xsl:call-template>
        </xsl:when>
        <xsl:otherwise>
          <xsl:if test="$pending">
            <xsl:value-of select="concat($break, $nl)"/>
          </xsl:if>
          <xsl:call-template name="line">
            <xsl:with-param name="text" select="$line"/>
          </xsl:call-template>
          <xsl:value-of select="$nl"/>
          <xsl:call-template name="prose">
            <xsl:with-param name="text" select="$rest"/>
            <xsl:with-param name="break" select="$break"/>
            <xsl:with-param name="emitted" select="true()"/>
            <xsl:with-param name="pending" select="false()"/>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:if>
  </xsl:template>

  <!-- One line of text that starts a troff input line: guard a leading control character -->
  <xsl:template name="line">
    <xsl:param name="text"/>
    <xsl:if test="starts-with($text, '.') or starts-with($text, &quot;'&quot;)">\&amp;</xsl:if>
    <xsl:call-template name="inline">
      <xsl:with-param name="text" select="$text"/>
    </xsl:call-template>
  </xsl:template>

  <!-- Text inside a troff line: the backslash is troff's escape character, so it is written \e -->
  <xsl:template name="inline">
    <xsl:param name="text"/>
    <xsl:choose>
      <xsl:when test="contains($text, '\')">
        <xsl:value-of select="substring-before($text, '\')"/>
        <xsl:text>\e</xsl:text>
        <xsl:call-template name="inline">
          <xsl:with-param name="text" select="substring-after($text, '\')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="$text"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
